import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { HashAlgorithm } from '../openstack/transport';

/**
 * Queue depth on each side of the hasher. Node's 16 KiB default is smaller than one socket
 * read (64 KiB), so every chunk hit backpressure and the socket, hasher and file write ran
 * in lockstep; 1 MiB lets them overlap. Chunks are queued by reference (never copied), so
 * the bound is at most this many extra bytes held per side.
 */
export const TRANSFER_HIGH_WATER_MARK = 1024 * 1024;

export type Digests = Partial<Record<HashAlgorithm, string>>;

/** The digests of one transfer, all updated from the same chunk while it is hot in cache. */
export class DigestSet {
  private readonly hashes: Array<[HashAlgorithm, Hash]>;
  constructor(algorithms: readonly HashAlgorithm[]) {
    this.hashes = [...new Set(algorithms)].map((a) => [a, createHash(a)]);
  }
  update(chunk: Buffer): void {
    for (const [, h] of this.hashes) h.update(chunk);
  }
  digests(): Digests {
    const out: Digests = {};
    for (const [a, h] of this.hashes) out[a] = h.copy().digest('hex');
    return out;
  }
}

export interface HashingOptions {
  onProgress?: (bytes: number) => void;
  highWaterMark?: number;
}

/**
 * Pass-through that computes the given digests and counts the bytes of whatever flows through it.
 * In line, on the main thread: hashing on a worker thread (1 MiB batches, transferred and
 * returned) was measured on the 2-core lab box, 1 GiB download with sha512, 3 rounds: 340
 * MB/s vs 334 MB/s in line, peak RSS 128 vs 111 MiB. With Glance on the same two cores
 * there is no idle core for the worker to use.
 */
export class HashingStream extends Transform {
  private readonly hashes: DigestSet;
  bytes = 0;

  constructor(
    algorithms: readonly HashAlgorithm[],
    private readonly opts: HashingOptions = {},
  ) {
    const hwm = opts.highWaterMark ?? TRANSFER_HIGH_WATER_MARK;
    super({ writableHighWaterMark: hwm, readableHighWaterMark: hwm });
    this.hashes = new DigestSet(algorithms);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hashes.update(chunk);
    this.bytes += chunk.length;
    this.opts.onProgress?.(this.bytes);
    cb(null, chunk);
  }

  digests(): { digests: Digests; bytes: number } {
    return { digests: this.hashes.digests(), bytes: this.bytes };
  }
}
