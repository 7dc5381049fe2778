import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Queue depth on each side of the hasher. Node's 16 KiB default is smaller than one socket
 * read (64 KiB), so every chunk hit backpressure and the socket, hasher and file write ran
 * in lockstep; 1 MiB lets them overlap. Chunks are queued by reference (never copied), so
 * the bound is at most this many extra bytes held per side.
 */
export const TRANSFER_HIGH_WATER_MARK = 1024 * 1024;

/** Pass-through that computes sha512 + md5 and counts bytes of whatever flows through it. */
export class HashingStream extends Transform {
  private readonly sha512 = createHash('sha512');
  private readonly md5 = createHash('md5');
  bytes = 0;

  constructor(
    private readonly onProgress?: (bytes: number) => void,
    highWaterMark = TRANSFER_HIGH_WATER_MARK,
  ) {
    super({ writableHighWaterMark: highWaterMark, readableHighWaterMark: highWaterMark });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    // Both digests in the same pass, while the chunk is hot in cache.
    this.sha512.update(chunk);
    this.md5.update(chunk);
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
    cb(null, chunk);
  }

  digests(): { sha512: string; md5: string; bytes: number } {
    return { sha512: this.sha512.copy().digest('hex'), md5: this.md5.copy().digest('hex'), bytes: this.bytes };
  }
}
