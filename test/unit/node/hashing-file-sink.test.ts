import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { HashingFileSink } from '../../../shared/node/hashing-file-sink';

// The download sink writes behind the hasher, several batches in flight on the thread pool:
// the file must still hold exactly the bytes, in order, and failures must surface.

const dir = mkdtempSync(join(tmpdir(), 'snapflow-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(23 * 1024 * 1024 + 4321); // > the 4 MiB in-flight bound, odd tail

function* chunks(size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('HashingFileSink', () => {
  it.each([777, 65_536, 3_000_000])('chunks of %i bytes: the file holds exactly the bytes, digests match', async (size) => {
    const path = join(dir, `f-${size}`);
    writeFileSync(path, 'old content that must be truncated away'.repeat(1_000_000));
    const progress: number[] = [];
    const sink = new HashingFileSink(path, ['sha512'], (n) => progress.push(n));
    await pipeline(Readable.from(chunks(size)), sink);
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(sink.digests()).toEqual({ bytes: data.length, digests: { sha512: createHash('sha512').update(data).digest('hex') } });
    expect(progress.at(-1)).toBe(data.length);
  });

  it('fails the stream when the file cannot be opened', async () => {
    const sink = new HashingFileSink(join(dir, 'no-such-dir', 'f'), ['sha512']);
    await expect(pipeline(Readable.from(chunks(65_536)), sink)).rejects.toThrow(/ENOENT/);
  });

  it('a destroyed download closes its file once the writes in flight are done', async () => {
    const path = join(dir, 'destroyed');
    const sink = new HashingFileSink(path, []);
    const src = Readable.from(chunks(1 << 20));
    let n = 0;
    src.on('data', () => {
      if (++n === 6) src.destroy(new Error('connection reset'));
    });
    await expect(pipeline(src, sink)).rejects.toThrow('connection reset');
    expect(sink.destroyed).toBe(true);
  });
});
