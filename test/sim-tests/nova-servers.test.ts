import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import type { Session } from './helpers';
import { client, login, waitFor } from './helpers';

let sim: SimHandle;
let s: Session;
let api: ReturnType<typeof client>;
// The build takes long enough that the first GET after a boot sees BUILD even on a loaded machine.
beforeAll(async () => {
  sim = await startSimulator({ latency: { build: 300, delete: 20 } });
  s = await login(sim);
  api = client(sim, s);
});
afterAll(async () => {
  await sim.close();
});

const boot = (name: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/v2.1/servers', { server: { name, imageRef: sim.state.baseImageId, flavorRef: '42', networks: 'none', ...extra } });
const status = async (id: string) => (await api('GET', `/v2.1/servers/${id}`)).json?.server?.status as string | undefined;

describe('nova servers', () => {
  it('echoes the microversion and refuses unsupported ones with 406', async () => {
    const r = await api('GET', '/v2.1/flavors');
    expect(r.headers.get('openstack-api-version')).toBe('compute 2.79');
    expect(r.headers.get('x-openstack-nova-api-version')).toBe('2.79');
    expect(r.headers.get('x-compute-request-id')).toBe(r.headers.get('x-openstack-request-id'));
    const bad = await client(sim, s, '2.999')('GET', '/v2.1/servers');
    expect(bad.status).toBe(406);
    expect(bad.json).toEqual({ computeFault: { code: 406, message: 'Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.93.' } });
    const doc = await fetch(`${sim.url}/v2.1/`);
    expect(((await doc.json()) as any).version).toMatchObject({ version: '2.93', min_version: '2.1' });
  });

  it('honours a lower configured max microversion', async () => {
    const old = await startSimulator({ novaMaxMicroversion: '2.79' });
    try {
      const os = await login(old);
      expect((await client(old, os, '2.93')('GET', '/v2.1/servers')).status).toBe(406);
      const latest = await client(old, os, 'latest')('GET', '/v2.1/servers');
      expect(latest.headers.get('openstack-api-version')).toBe('compute 2.79');
      expect(((await (await fetch(`${old.url}/v2.1/`)).json()) as any).version.version).toBe('2.79');
    } finally {
      await old.close();
    }
  });

  it('lists flavors like the lab', async () => {
    const r = await api('GET', '/v2.1/flavors/42');
    expect(r.json.flavor).toMatchObject({ id: '42', name: 'm1.nano', ram: 64, disk: 1, vcpus: 1, description: null, extra_specs: {} });
    expect((await api('GET', '/v2.1/flavors')).json.flavors.map((f: any) => f.name)).toEqual(['m1.tiny', 'm1.small', 'm1.nano']);
    const nf = await api('GET', '/v2.1/flavors/999');
    expect(nf.json).toEqual({ itemNotFound: { code: 404, message: 'Flavor 999 could not be found.' } });
  });

  it('boots BUILD -> ACTIVE and shows the 2.79 and 2.1 views', async () => {
    const r = await boot('web-1', { metadata: { a: 'b' } });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`${sim.url}/v2.1/servers/${r.json.server.id}`);
    expect(r.json.server).toHaveProperty('adminPass');
    const id = r.json.server.id;
    const first = (await api('GET', `/v2.1/servers/${id}`)).json.server;
    expect(first.status).toBe('BUILD');
    expect(first['OS-EXT-STS:task_state']).toBe('scheduling');
    await waitFor(async () => (await status(id)) === 'ACTIVE');
    const v = (await api('GET', `/v2.1/servers/${id}`)).json.server;
    expect(v).toMatchObject({
      name: 'web-1',
      metadata: { a: 'b' },
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:power_state': 1,
      'OS-EXT-STS:task_state': null,
    });
    expect(v.flavor.original_name).toBe('m1.nano');
    const old = (await client(sim, s, '2.1')('GET', `/v2.1/servers/${id}`)).json.server;
    expect(old.flavor.id).toBe('42');
    expect(old).not.toHaveProperty('OS-EXT-SRV-ATTR:hostname');
  });

  it('validates the create body with the real messages', async () => {
    const noNet = await api('POST', '/v2.1/servers', { server: { name: 'x', imageRef: sim.state.baseImageId, flavorRef: '42' } });
    expect(noNet.json.badRequest.message).toBe(
      `Invalid input for field/attribute server. Value: {'name': 'x', 'imageRef': '${sim.state.baseImageId}', 'flavorRef': '42'}. 'networks' is a required ` +
        `property`,
    );
    expect((await boot('x', { flavorRef: '999' })).json.badRequest.message).toBe('Flavor 999 could not be found.');
    expect((await boot('x', { imageRef: '00000000-0000-0000-0000-000000000000' })).json.badRequest.message).toBe('Can not find requested image');
    expect((await boot('x', { key_name: 'nokey' })).json.badRequest.message).toBe('Invalid key_name provided.');
    const mal = await api('POST', '/v2.1/servers', 'nojson');
    expect(mal.json).toEqual({ badRequest: { code: 400, message: 'Malformed request body' } });
  });

  it('filters names as a regex, by status, and paginates with servers_links', async () => {
    const ids: string[] = [];
    for (const n of ['pg-a', 'pg-b', 'pg-c']) ids.push((await boot(n)).json.server.id);
    await waitFor(async () => (await Promise.all(ids.map(status))).every((x) => x === 'ACTIVE'));
    const re = await api('GET', '/v2.1/servers?name=^pg-[ab]$');
    expect(re.json.servers.map((x: any) => x.name).sort()).toEqual(['pg-a', 'pg-b']);
    const p1 = await api('GET', '/v2.1/servers/detail?name=^pg-&limit=2');
    expect(p1.json.servers.map((x: any) => x.name)).toEqual(['pg-c', 'pg-b']);
    const next = new URL(p1.json.servers_links[0].href);
    expect(next.pathname).toBe('/v2.1/servers/detail');
    expect(next.searchParams.get('marker')).toBe(ids[1]);
    const p2 = await api('GET', `${next.pathname}${next.search}`);
    expect(p2.json.servers.map((x: any) => x.name)).toEqual(['pg-a']);
    expect(p2.json.servers_links).toBeUndefined();
    expect((await api('GET', '/v2.1/servers?status=FOO')).json.badRequest.message).toBe('Invalid status value');
    expect((await api('GET', '/v2.1/servers?marker=nope')).json.badRequest.message).toBe('marker [nope] not found');
    expect((await api('GET', '/v2.1/servers?status=SHUTOFF&name=^pg-')).json.servers).toEqual([]);
  });

  it('renames with PUT', async () => {
    const id = (await boot('old-name')).json.server.id;
    const r = await api('PUT', `/v2.1/servers/${id}`, { server: { name: 'new-name' } });
    expect(r.status).toBe(200);
    expect(r.json.server.name).toBe('new-name');
  });

  it('deletes: 204, task_state deleting, then 404 itemNotFound', async () => {
    const id = (await boot('doomed')).json.server.id;
    await waitFor(async () => (await status(id)) === 'ACTIVE');
    expect((await api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    const during = (await api('GET', `/v2.1/servers/${id}`)).json?.server;
    if (during) expect(during['OS-EXT-STS:task_state']).toBe('deleting');
    const gone = await waitFor(async () => {
      const r = await api('GET', `/v2.1/servers/${id}`);
      return r.status === 404 ? r : null;
    });
    expect(gone.json).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  });

  it('enforces the instance quota with 403 forbidden', async () => {
    const used = [...sim.state.servers.values()].filter((x) => x.projectId === s.projectId).length;
    sim.state.quotas.instances = used;
    try {
      const r = await boot('over');
      expect(r.status).toBe(403);
      expect(r.json).toEqual({ forbidden: { code: 403, message: `Quota exceeded for instances: Requested 1, but already used ${used} of ${used} instances` } });
    } finally {
      sim.state.quotas.instances = null;
    }
  });

  it('scopes servers to the project of the token', async () => {
    const other = await login(sim, 'dest', 'destuser');
    const mine = (await boot('scoped')).json.server.id;
    const r = await client(sim, other)('GET', `/v2.1/servers/${mine}`);
    expect(r.status).toBe(404);
    expect((await client(sim, other)('GET', '/v2.1/servers')).json.servers).toEqual([]);
  });
});
