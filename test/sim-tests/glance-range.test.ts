import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSimulator } from '../../shared/sim/server';

// Ranged image downloads, answered as Glance 25 answers them (webob's single-range parser):
// 206 with Content-Range, 416 for a range it cannot serve, 400 for several ranges.

const data = randomBytes(100_000);
let sim: SimHandle;
let token = '';
let imageId = '';

async function get(range?: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${sim.url}/v2/images/${imageId}/file`, {
    headers: { 'X-Auth-Token': token, ...(range ? { Range: range } : {}) },
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  sim = await startSimulator();
  const auth = await fetch(`${sim.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', password: 'admin-secret', domain: { id: 'default' } } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  token = auth.headers.get('x-subject-token')!;
  const created = await fetch(`${sim.url}/v2/images`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'ranged', disk_format: 'raw', container_format: 'bare' }),
  });
  imageId = ((await created.json()) as { id: string }).id;
  const put = await fetch(`${sim.url}/v2/images/${imageId}/file`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
    body: data,
  });
  expect(put.status).toBe(204);
});
afterAll(async () => {
  await sim.close();
});

describe('Glance data download with Range', () => {
  it('answers an open range with 206 and the rest of the image', async () => {
    const r = await get('bytes=40000-');
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 40000-${data.length - 1}/${data.length}`);
    expect(r.headers.get('content-length')).toBe(String(data.length - 40000));
    expect(r.body.equals(data.subarray(40000))).toBe(true);
  });

  it('answers a closed range and a suffix range', async () => {
    const closed = await get('bytes=3-10');
    expect(closed.status).toBe(206);
    expect(closed.body.equals(data.subarray(3, 11))).toBe(true);
    expect(closed.headers.get('content-range')).toBe(`bytes 3-10/${data.length}`);
    const suffix = await get('bytes=-5');
    expect(suffix.body.equals(data.subarray(data.length - 5))).toBe(true);
  });

  it('refuses what Glance refuses', async () => {
    expect((await get('bytes=10-5')).status).toBe(416);
    expect((await get(`bytes=${data.length}-`)).status).toBe(416);
    expect((await get('bytes=0-1,5-6')).status).toBe(400);
    expect((await get()).status).toBe(200);
  });

  it('breaks a download off after the bytes a cutAfterBytes fault allows', async () => {
    sim.faults.add({ route: 'GET /v2/images/{id}/file', times: 1, cutAfterBytes: 30_000 });
    await expect(get()).rejects.toThrow();
    expect((await get()).body.length).toBe(data.length);
  });
});
