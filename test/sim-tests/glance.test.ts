import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import type { Session } from './helpers';
import { client, login, openSimSession, waitFor } from './helpers';

let sim: SimHandle;
let s: Session;
let api: ReturnType<typeof client>;
beforeAll(async () => ({ sim, s, api } = await openSimSession()));
afterAll(async () => {
  await sim.close();
});

const PATCH = { 'Content-Type': 'application/openstack-images-v2.1-json-patch' };
const newImage = async (extra: Record<string, unknown> = {}) =>
  (await api('POST', '/v2/images', { name: 'img', disk_format: 'raw', container_format: 'bare', ...extra })).json;
type Body = NonNullable<RequestInit['body']>;
const upload = (id: string, body: Body, headers: Record<string, string> = {}) =>
  fetch(`${sim.url}/v2/images/${id}/file`, {
    method: 'PUT',
    body,
    headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/octet-stream', ...headers },
    duplex: 'half',
  } as RequestInit);

describe('glance', () => {
  it('answers GET / with the versions document (300)', async () => {
    const r = await fetch(`${sim.url}/`);
    expect(r.status).toBe(300);
    expect(((await r.json()) as any).versions[0]).toMatchObject({ id: 'v2.15', status: 'CURRENT' });
  });

  it('creates queued images with the lab headers and shape', async () => {
    const r = await api('POST', '/v2/images', { name: 'q', disk_format: 'raw', container_format: 'bare', snapflow_job: 'p1' });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`${sim.url}/v2/images/${r.json.id}`);
    expect(r.headers.get('x-openstack-request-id')).toMatch(/^req-/);
    expect(r.json).toMatchObject({
      status: 'queued',
      visibility: 'shared',
      size: null,
      checksum: null,
      os_hash_value: null,
      snapflow_job: 'p1',
      owner: s.projectId,
    });
    expect(Object.keys(r.json)[0]).toBe('snapflow_job');
    expect(r.json).not.toHaveProperty('stores');
  });

  it('uploads a large stream, hashing md5 + sha512, and streams it back', async () => {
    const img = await newImage();
    const chunk = Buffer.alloc(1 << 20, 7);
    const total = 48;
    const md5 = createHash('md5');
    const sha = createHash('sha512');
    for (let i = 0; i < total; i++) {
      md5.update(chunk);
      sha.update(chunk);
    }
    let n = 0;
    const src = new Readable({
      read() {
        this.push(n++ < total ? chunk : null);
      },
    });
    const up = await upload(img.id, Readable.toWeb(src) as unknown as Body);
    expect(up.status).toBe(204);
    const got = (await api('GET', `/v2/images/${img.id}`)).json;
    expect(got).toMatchObject({
      status: 'active',
      size: total << 20,
      checksum: md5.digest('hex'),
      os_hash_algo: 'sha512',
      os_hash_value: sha.digest('hex'),
      stores: 'fs',
    });
    const dl = await fetch(`${sim.url}/v2/images/${img.id}/file`, { headers: { 'X-Auth-Token': s.token } });
    expect(dl.headers.get('content-md5')).toBe(got.checksum);
    expect(dl.headers.get('content-length')).toBe(String(total << 20));
    const h = createHash('sha512');
    for await (const c of dl.body as unknown as AsyncIterable<Uint8Array>) h.update(c);
    expect(h.digest('hex')).toBe(got.os_hash_value);
    const again = await upload(img.id, 'x');
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('Image status transition from active to saving is not allowed');
  });

  it('answers 204 for the data of a queued image, 415 and 400 for bad uploads', async () => {
    const img = await newImage();
    expect((await fetch(`${sim.url}/v2/images/${img.id}/file`, { headers: { 'X-Auth-Token': s.token } })).status).toBe(204);
    const ct = await upload(img.id, 'x', { 'Content-Type': 'application/json' });
    expect(ct.status).toBe(415);
    const bare = (await api('POST', '/v2/images', { name: 'noformat' })).json;
    const nf = await upload(bare.id, 'x');
    expect(nf.status).toBe(400);
    expect(await nf.text()).toContain('Properties disk_format, container_format must be set prior to saving data.');
  });

  it('puts an interrupted upload back to queued', async () => {
    const img = await newImage();
    await new Promise<void>((ok) => {
      const req = request(`${sim.url}/v2/images/${img.id}/file`, {
        method: 'PUT',
        headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/octet-stream', 'Content-Length': '100000' },
      });
      req.on('error', () => ok());
      req.write(Buffer.alloc(1000));
      setTimeout(() => {
        req.destroy();
        ok();
      }, 30);
    });
    await waitFor(async () => (await api('GET', `/v2/images/${img.id}`)).json.status === 'queued');
  });

  it('patches properties and name with json-patch; 415 and 409 like glance', async () => {
    const img = await newImage({ snapflow_job: 'p1' });
    const wrong = await api('PATCH', `/v2/images/${img.id}`, []);
    expect(wrong.status).toBe(415);
    expect(wrong.headers.get('accept-patch')).toContain('application/openstack-images-v2.1-json-patch');
    const ok = await api(
      'PATCH',
      `/v2/images/${img.id}`,
      [
        { op: 'add', path: '/foo', value: 'bar' },
        { op: 'replace', path: '/name', value: 'renamed' },
        { op: 'remove', path: '/snapflow_job' },
      ],
      PATCH,
    );
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ foo: 'bar', name: 'renamed' });
    expect(ok.json).not.toHaveProperty('snapflow_job');
    const missing = await api('PATCH', `/v2/images/${img.id}`, [{ op: 'remove', path: '/nope' }], PATCH);
    expect(missing.status).toBe(409);
    expect(missing.text).toBe(
      '<html>\n <head>\n  <title>409 Conflict</title>\n </head>\n <body>\n  <h1>409 Conflict</h1>\n  There was a conflict when trying to complete your ' +
        'request.<br /><br />\nProperty nope does not exist.\n\n\n </body>\n</html>',
    );
  });

  it('lists with property filters, sorting and the next link', async () => {
    for (const n of ['l-b', 'l-a', 'l-c']) await newImage({ name: n, snapflow_job: 'list' });
    const p1 = await api('GET', '/v2/images?limit=2&sort_key=name&sort_dir=asc&snapflow_job=list');
    expect(p1.json.images.map((i: any) => i.name)).toEqual(['l-a', 'l-b']);
    expect(p1.json.first).toBe('/v2/images?limit=2&sort_key=name&sort_dir=asc&snapflow_job=list');
    expect(p1.json.next).toBe(`/v2/images?limit=2&sort_key=name&sort_dir=asc&snapflow_job=list&marker=${p1.json.images[1].id}`);
    const p2 = await api('GET', p1.json.next);
    expect(p2.json.images.map((i: any) => i.name)).toEqual(['l-c']);
    expect(p2.json.next).toBeUndefined();
    const byName = await api('GET', '/v2/images?name=l-a');
    expect(byName.json.images).toHaveLength(1);
    expect((await api('GET', '/v2/images?status=active')).json.images.every((i: any) => i.status === 'active')).toBe(true);
  });

  it('deletes (204) and then answers 404 with the glance HTML body', async () => {
    const img = await newImage();
    const del = await api('DELETE', `/v2/images/${img.id}`);
    expect(del.status).toBe(204);
    const gone = await api('GET', `/v2/images/${img.id}`);
    expect(gone.status).toBe(404);
    expect(gone.text).toBe(
      `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID ${img.id}<br /><br />\n\n\n\n ` +
        `</body>\n</html>`,
    );
    const again = await api('DELETE', `/v2/images/${img.id}`);
    expect(again.text).toContain(`Failed to find image ${img.id} to delete`);
  });

  it('shares an image with another project through members', async () => {
    const img = await newImage({ name: 'shared-one' });
    await upload(img.id, 'payload');
    const dest = await login(sim, 'dest', 'destuser');
    const dapi = client(sim, dest);
    expect((await dapi('GET', `/v2/images/${img.id}`)).status).toBe(404);
    const add = await api('POST', `/v2/images/${img.id}/members`, { member: dest.projectId });
    expect(add.json).toMatchObject({ member_id: dest.projectId, image_id: img.id, status: 'pending', schema: '/v2/schemas/member' });
    const dup = await api('POST', `/v2/images/${img.id}/members`, { member: dest.projectId });
    expect(dup.status).toBe(409);
    expect(dup.text).toContain(`Member ${dest.projectId} is duplicated for image ${img.id}`);
    expect((await dapi('GET', `/v2/images/${img.id}`)).status).toBe(200);
    expect((await dapi('GET', '/v2/images?name=shared-one')).json.images).toHaveLength(0);
    const acc = await dapi('PUT', `/v2/images/${img.id}/members/${dest.projectId}`, { status: 'accepted' });
    expect(acc.json.status).toBe('accepted');
    expect((await dapi('GET', '/v2/images?name=shared-one')).json.images).toHaveLength(1);
    expect((await api('GET', `/v2/images/${img.id}/members`)).json.members).toHaveLength(1);
    const data = await fetch(`${sim.url}/v2/images/${img.id}/file`, { headers: { 'X-Auth-Token': dest.token } });
    expect(await data.text()).toBe('payload');
  });

  it('enforces an image count quota with 413', async () => {
    sim.state.quotas.images = 0;
    try {
      const r = await api('POST', '/v2/images', { name: 'over' });
      expect(r.status).toBe(413);
    } finally {
      sim.state.quotas.images = null;
    }
  });
});
