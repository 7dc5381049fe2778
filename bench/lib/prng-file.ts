import { createCipheriv, createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

// Benchmark payload: AES-128-CTR keystream over zeros. It is deterministic (same bytes
// every run, so runs are comparable), incompressible (no transparent compression on the
// path can flatter a result) and far faster to make than a JS PRNG.

const CHUNK = 1024 * 1024;
const KEY = Buffer.from('736e6170666c6f772d62656e63682121', 'hex');
const IV = Buffer.alloc(16);

export interface FileDigests {
  bytes: number;
  sha512: string;
  md5: string;
}

export async function writePrngFile(path: string, size: number): Promise<FileDigests> {
  const cipher = createCipheriv('aes-128-ctr', KEY, IV);
  const sha512 = createHash('sha512');
  const md5 = createHash('md5');
  const zeros = Buffer.alloc(CHUNK);
  const fh = await open(path, 'w', 0o600);
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(CHUNK, size - written);
      const block = cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
      sha512.update(block);
      md5.update(block);
      for (let off = 0; off < block.length; ) off += (await fh.write(block, off)).bytesWritten;
      written += n;
    }
  } finally {
    await fh.close();
  }
  return { bytes: size, sha512: sha512.digest('hex'), md5: md5.digest('hex') };
}
