import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { downloadSource } from '../../runner/download';
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { OpenStackNetworkError } from '../../shared/openstack/errors';

// A download that loses its connection part-way continues with `Range: bytes=N-` from the
// bytes already in the file, with the digest state kept: against the simulator (which answers
// Range as the lab's Glance does, 206 + Content-Range), and against a server that ignores
// Range, where resuming must stop rather than splice two different byte streams.

const data = randomBytes(3 * 1024 * 1024 + 123);
const sha512 = createHash('sha512').update(data).digest('hex');
let env: SimEnv;
let imageId = '';

beforeAll(async () => {
  env = await startSimEnv();
  imageId = (await uploadImage(env.source, data, 'raw')).id;
});
afterAll(async () => {
  await env.close();
});

const downloads = () => env.sim.calls.filter((c) => c.method === 'GET' && /\/v2\/images\/[^/]+\/file$/.test(c.route));

describe('resumed downloads', () => {
  it('continues after two dropped connections and still proves the digest', async () => {
    const image = await env.source.image.get(imageId);
    const task = taskFor(image);
    env.sim.faults.add({ route: 'GET /v2/images/{id}/file', times: 1, cutAfterBytes: 700_000 });
    env.sim.faults.add({ route: 'GET /v2/images/{id}/file', times: 1, cutAfterBytes: 1_500_000 });
    const before = downloads().length;
    const resumes: Array<{ from: number }> = [];
    const progress: number[] = [];
    const file = join(env.dir, 'resumed.raw');
    const got = await downloadSource(task, env.source, file, {
      signal: new AbortController().signal,
      resumeAttempts: 3,
      resumeDelayMs: 10,
      onProgress: (n) => progress.push(n),
      onResume: (r) => resumes.push(r),
    });
    expect(got).toMatchObject({ bytes: data.length, verified: { sha512 }, resumes: 2 });
    expect(readFileSync(file).equals(data)).toBe(true);
    // each resume starts where the file stopped; the bytes of a broken response that were
    // queued but not yet hashed are fetched again, never counted twice
    expect(resumes.map((r) => r.from)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(resumes[0]!.from).toBeLessThanOrEqual(700_000);
    expect(resumes[1]!.from).toBeLessThanOrEqual(resumes[0]!.from + 1_500_000);
    expect(
      downloads()
        .slice(before)
        .map((c) => c.status),
    ).toEqual([200, 206, 206]);
    expect(progress.at(-1)).toBe(data.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('gives up after its bounded attempts with a retryable network error', async () => {
    const image = await env.source.image.get(imageId);
    env.sim.faults.add({ route: 'GET /v2/images/{id}/file', times: 3, cutAfterBytes: 200_000 });
    const before = downloads().length;
    const run = downloadSource(taskFor(image), env.source, join(env.dir, 'gives-up.raw'), {
      signal: new AbortController().signal,
      resumeAttempts: 2,
      resumeDelayMs: 10,
      onProgress: () => undefined,
      onResume: () => undefined,
    });
    await expect(run).rejects.toBeInstanceOf(OpenStackNetworkError);
    await expect(run).rejects.toMatchObject({ retryable: true });
    expect(downloads().length - before).toBe(3);
    env.sim.faults.clear();
  });

  it('does not splice when the server ignores the Range header', async () => {
    let requests = 0;
    const server: Server = createServer((req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-length': String(data.length) });
      if (req.headers.range) return res.end(data);
      res.write(data.subarray(0, 500_000), () => res.socket?.destroy());
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    const t = createUndiciTransport();
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file`;
      const run = t.transfer!.download({
        url,
        headers: {},
        hashes: ['sha512'],
        sink: { path: join(env.dir, 'no-range.raw') },
        resume: { attempts: 3, delayMs: 10 },
      });
      await expect(run).rejects.toThrow(/cannot resume the download at byte \d+: the server answered 200 with no Content-Range/);
      expect(requests).toBe(2);
    } finally {
      await t.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});
