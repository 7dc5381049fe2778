import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import type { Session } from './helpers';
import { client, login, waitFor } from './helpers';

let sim: SimHandle;
let s: Session;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  sim = await startSimulator({ latency: { build: 10, snapshot: 80, rebuild: 40, stop: 20, start: 20 } });
  s = await login(sim);
  api = client(sim, s);
});
afterAll(async () => {
  await sim.close();
});

const act = (id: string, body: unknown, a = api) => a('POST', `/v2.1/servers/${id}/action`, body);
const server = async (id: string) => (await api('GET', `/v2.1/servers/${id}`)).json.server;
const image = async (id: string) => (await api('GET', `/v2/images/${id}`)).json;
const untilServer = (id: string, st: string) =>
  waitFor(async () => {
    const v = await server(id);
    return v.status === st && v['OS-EXT-STS:task_state'] === null ? v : null;
  });
async function active(name: string): Promise<string> {
  return sim.state.addServer({ name }).id;
}

describe('nova actions', () => {
  it('createImage walks the task states, answers 409 meanwhile, and yields an active snapshot image', async () => {
    const id = await active('snap-me');
    const r = await act(id, { createImage: { name: 'snap-1', metadata: { snapflow_job: 'j1' } } });
    expect(r.status).toBe(202);
    const imageId = r.json.image_id as string;
    expect(r.headers.get('location')).toBeNull();
    const c = await act(id, { createImage: { name: 'again' } });
    expect(c.status).toBe(409);
    expect(c.json.conflictingRequest.message).toMatch(new RegExp(`^Cannot 'createImage' instance ${id} while it is in task_state image_`));
    const stop = await act(id, { 'os-stop': null });
    expect(stop.json.conflictingRequest.message).toMatch(/^Cannot 'stop' instance .* while it is in task_state image_/);
    const seen = new Set<string>();
    const img = await waitFor(async () => {
      const v = await server(id);
      if (v['OS-EXT-STS:task_state']) seen.add(v['OS-EXT-STS:task_state']);
      const i = await image(imageId);
      seen.add(`image:${i.status}`);
      return i.status === 'active' && v['OS-EXT-STS:task_state'] === null ? i : null;
    });
    expect(seen.has('image_pending_upload') || seen.has('image_uploading') || seen.has('image:saving')).toBe(true);
    expect(img).toMatchObject({
      name: 'snap-1',
      image_type: 'snapshot',
      instance_uuid: id,
      base_image_ref: sim.state.baseImageId,
      owner_id: s.projectId,
      user_id: s.userId,
      snapflow_job: 'j1',
      image_location: 'snapshot',
      visibility: 'private',
      oslab: 'base',
      min_disk: 1,
    });
    const base = sim.state.images.get(sim.state.baseImageId)!;
    expect(img.size).toBe(base.size);
    expect(img.os_hash_value).toBe(base.hashValue);
    const data = Buffer.from(await (await fetch(`${sim.url}/v2/images/${imageId}/file`, { headers: { 'X-Auth-Token': s.token } })).arrayBuffer());
    expect(createHash('sha512').update(data).digest('hex')).toBe(img.os_hash_value);
  });

  it('below 2.45 answers createImage with a Location header and no body', async () => {
    const id = await active('old-mv');
    const r = await act(id, { createImage: { name: 'loc' } }, client(sim, s, '2.1'));
    expect(r.status).toBe(202);
    expect(r.text).toBe('');
    expect(r.headers.get('location')).toMatch(new RegExp(`^${sim.url}//images/[0-9a-f-]{36}$`));
  });

  it('validates action bodies like nova', async () => {
    const id = await active('val');
    expect((await act(id, { foo: {} })).json).toEqual({ badRequest: { code: 400, message: 'There is no such action: foo' } });
    const nb = await act(id, { createBackup: { name: 'b', backup_type: 'daily' } });
    expect(nb.json.badRequest.message).toBe(
      "Invalid input for field/attribute createBackup. Value: {'name': 'b', 'backup_type': 'daily'}. 'rotation' is a required property",
    );
    const missing = await act('00000000-0000-0000-0000-000000000000', { 'os-stop': null });
    expect(missing.json).toEqual({ itemNotFound: { code: 404, message: 'Instance 00000000-0000-0000-0000-000000000000 has no mapping to a cell.' } });
  });

  it('stop -> SHUTOFF, start -> ACTIVE, with vm_state conflicts', async () => {
    const id = await active('power');
    const start = await act(id, { 'os-start': null });
    expect(start.json).toEqual({ conflictingRequest: { code: 409, message: `Cannot 'start' instance ${id} while it is in vm_state active` } });
    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    expect((await server(id))['OS-EXT-STS:task_state']).toBe('powering-off');
    const off = await untilServer(id, 'SHUTOFF');
    expect(off['OS-EXT-STS:power_state']).toBe(4);
    expect((await act(id, { 'os-stop': null })).json.conflictingRequest.message).toBe(`Cannot 'stop' instance ${id} while it is in vm_state stopped`);
    expect((await act(id, { 'os-start': null })).status).toBe(202);
    await untilServer(id, 'ACTIVE');
  });

  it('rebuild: REBUILD then ACTIVE, and a SHUTOFF server stays SHUTOFF', async () => {
    const other = sim.state.addImage({ name: 'other' }, Buffer.from('other image'));
    const id = await active('rb');
    const r = await act(id, { rebuild: { imageRef: other.id } });
    expect(r.status).toBe(202);
    expect(r.json.server.status).toBe('REBUILD');
    expect(r.json.server.image.id).toBe(other.id);
    expect(r.json.server).toHaveProperty('adminPass');
    await untilServer(id, 'ACTIVE');
    const off = sim.state.addServer({ name: 'rb-off', status: 'SHUTOFF' }).id;
    await act(off, { rebuild: { imageRef: other.id } });
    expect((await server(off)).status).toBe('REBUILD');
    const after = await untilServer(off, 'SHUTOFF');
    expect(after.image.id).toBe(other.id);
  });

  it('createBackup keeps only the `rotation` newest backups', async () => {
    const id = await active('bk');
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await act(id, { createBackup: { name: `bk-${i}`, backup_type: 'daily', rotation: 2 } });
      expect(r.status).toBe(202);
      made.push(r.json.image_id);
      await waitFor(async () => (await server(id))['OS-EXT-STS:task_state'] === null);
    }
    await waitFor(async () => (await api('GET', `/v2/images/${made[0]}`)).status === 404);
    const left = (await api('GET', `/v2/images?instance_uuid=${id}&image_type=backup`)).json.images.map((i: any) => i.name);
    expect(left.sort()).toEqual(['bk-1', 'bk-2']);
    expect((await image(made[2]!)).backup_type).toBe('daily');
  });

  it('deleting the image mid-snapshot fails the snapshot and gives the server back (ACTIVE, task_state null)', async () => {
    // a slow snapshot so the delete surely lands while the image is still saving
    const slow = await startSimulator({ latency: { build: 10, snapshot: 400 } });
    try {
      const ss = await login(slow);
      const a = client(slow, ss);
      const id = slow.state.addServer({ name: 'snap-del' }).id;
      const imageId = (await a('POST', `/v2.1/servers/${id}/action`, { createImage: { name: 'doomed' } })).json.image_id as string;
      await waitFor(async () => (await a('GET', `/v2/images/${imageId}`)).json?.status === 'saving');
      expect((await a('DELETE', `/v2/images/${imageId}`)).status).toBe(204);
      expect((await a('GET', `/v2.1/servers/${id}`)).json.server['OS-EXT-STS:task_state']).toMatch(/^image_/);
      const v = await waitFor(async () => {
        const sv = (await a('GET', `/v2.1/servers/${id}`)).json.server;
        return sv['OS-EXT-STS:task_state'] === null ? sv : null;
      }, 3_000);
      expect(v.status).toBe('ACTIVE');
      expect((await a('GET', `/v2/images/${imageId}`)).status).toBe(404);
      // the server takes a new snapshot again
      expect((await a('POST', `/v2.1/servers/${id}/action`, { createImage: { name: 'next' } })).status).toBe(202);
    } finally {
      await slow.close();
    }
  });

  it('a failing image quota makes createImage fail like nova (500 computeFault)', async () => {
    const id = await active('quota');
    sim.state.quotas.images = 0;
    try {
      const r = await act(id, { createImage: { name: 'q' } });
      expect(r.status).toBe(500);
      expect(r.json.computeFault.message).toContain('ImageQuotaExceeded');
    } finally {
      sim.state.quotas.images = null;
    }
  });
});
