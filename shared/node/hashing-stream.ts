import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Pass-through that computes sha512 + md5 and counts bytes of whatever flows through it. */
export class HashingStream extends Transform {
  private readonly sha512 = createHash('sha512');
  private readonly md5 = createHash('md5');
  bytes = 0;

  constructor(private readonly onProgress?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
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
