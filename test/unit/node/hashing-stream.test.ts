import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { HashingStream } from '../../../shared/node/hashing-stream';

// The hasher passes every byte through unchanged and digests exactly the algorithms asked
// for, however the bytes are chunked.

const data = randomBytes(3 * 1024 * 1024 + 12_345);
const want = { sha512: createHash('sha512').update(data).digest('hex'), md5: createHash('md5').update(data).digest('hex') };

async function through(h: HashingStream, chunk: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts = function* () {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  };
  await pipeline(Readable.from(parts()), h, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}

describe('HashingStream', () => {
  it.each([1000, 65_536, 1_500_000])('chunks of %i bytes: same bytes out, same digests', async (chunk) => {
    const progress: number[] = [];
    const h = new HashingStream(['sha512', 'md5'], { onProgress: (n) => progress.push(n) });
    expect((await through(h, chunk)).equals(data)).toBe(true);
    expect(h.digests()).toEqual({ bytes: data.length, digests: want });
    expect(progress.at(-1)).toBe(data.length);
  });

  it('computes only what is asked for, and nothing at all when asked for no digest', async () => {
    const one = new HashingStream(['sha512']);
    await through(one, 65_536);
    expect(one.digests()).toEqual({ bytes: data.length, digests: { sha512: want.sha512 } });
    const none = new HashingStream([]);
    await through(none, 65_536);
    expect(none.digests()).toEqual({ bytes: data.length, digests: {} });
  });
});
