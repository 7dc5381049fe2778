import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import { client, login } from './helpers';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('keystone', () => {
  it('serves the v3 version document', async () => {
    const r = await fetch(`${sim.url}/v3`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);
    const b = (await r.json()) as any;
    expect(b.version.id).toBe('v3.14');
  });

  it('issues a project-scoped token with the lab catalog shape', async () => {
    const r = await post('/v3/auth/tokens', {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } },
        scope: { project: { name: 'dest', domain: { id: 'default' } } },
      },
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-subject-token')).toMatch(/^gAAAAA/);
    const t = ((await r.json()) as any).token;
    expect(t.project).toEqual({ domain: { id: 'default', name: 'Default' }, id: sim.state.projectId('dest'), name: 'dest' });
    expect(t.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
    expect(t.roles.map((x: any) => x.name).sort()).toEqual(['admin', 'member', 'reader']);
    const types = t.catalog.map((c: any) => c.type).sort();
    expect(types).toEqual(['block-storage', 'compute', 'identity', 'image', 'volumev3']);
    const compute = t.catalog.find((c: any) => c.type === 'compute');
    expect(compute.endpoints.map((e: any) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(compute.endpoints[0].url).toBe(`${sim.url}/v2.1`);
    const vol = t.catalog.find((c: any) => c.type === 'volumev3');
    expect(vol.endpoints[0].url).toBe(`${sim.url}/v3/${t.project.id}`);
  });

  it('rejects a bad password with the keystone 401 body', async () => {
    const r = await post('/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'x' } } } },
    });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
  });

  it('refuses a project the user has no role on', async () => {
    await expect(login(sim, 'admin', 'destuser')).rejects.toThrow(/401/);
    const s = await login(sim, 'dest', 'destuser');
    expect(s.projectId).toBe(sim.state.projectId('dest'));
  });

  it('creates an application credential and authenticates with it, by id and by name', async () => {
    const s = await login(sim);
    const api = client(sim, s);
    const r = await api('POST', `/v3/users/${s.userId}/application_credentials`, { application_credential: { name: 'ci' } });
    expect(r.status).toBe(201);
    const ac = r.json.application_credential;
    expect(ac.project_id).toBe(s.projectId);
    const byId = await post('/v3/auth/tokens', {
      auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: ac.secret } } },
    });
    expect(byId.status).toBe(201);
    const tok = ((await byId.json()) as any).token;
    expect(tok.application_credential).toEqual({ id: ac.id, name: 'ci', restricted: true });
    expect(tok.project.id).toBe(s.projectId);
    const byName = await post('/v3/auth/tokens', {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { name: 'ci', secret: ac.secret, user: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    });
    expect(byName.status).toBe(201);
    const bad = await post('/v3/auth/tokens', {
      auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: 'nope' } } },
    });
    expect(bad.status).toBe(401);
  });

  it('rescopes with the token method, keeping the original expiry', async () => {
    const s = await login(sim);
    const r = await post('/v3/auth/tokens', {
      auth: { identity: { methods: ['token'], token: { id: s.token } }, scope: { project: { id: sim.state.projectId('dest') } } },
    });
    expect(r.status).toBe(201);
    const t = ((await r.json()) as any).token;
    expect(t.methods).toEqual(['token', 'password']);
    expect(t.project.name).toBe('dest');
  });

  it('validates tokens and answers 404 for unknown ones', async () => {
    const s = await login(sim);
    const ok = await fetch(`${sim.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': s.token, 'X-Subject-Token': s.token } });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${sim.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': s.token, 'X-Subject-Token': 'bogus' } });
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as any).error.message).toBe('Could not recognize Fernet token');
  });

  it("expired tokens get each service's own 401", async () => {
    const s = await login(sim);
    sim.state.expireTokens();
    const api = client(sim, s);
    const nova = await api('GET', '/v2.1/servers');
    expect(nova.status).toBe(401);
    expect(nova.json).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    expect(nova.headers.get('x-compute-request-id')).toMatch(/^req-/);
    const glance = await api('GET', '/v2/images');
    expect(glance.status).toBe(401);
    expect(glance.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(glance.text).toContain('<title>401 Unauthorized</title>');
    const cinder = await api('GET', `/v3/${s.projectId}/volumes`);
    expect(cinder.status).toBe(401);
    expect(cinder.json.error.code).toBe(401);
  });

  it('short token TTL expires on its own', async () => {
    const short = await startSimulator({ tokenTtlMs: 30 });
    try {
      const s = await login(short);
      await new Promise((r) => setTimeout(r, 40));
      expect((await client(short, s)('GET', '/v2.1/servers')).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it('writes a clouds.yaml with the four clouds', () => {
    const doc = parse(sim.cloudsYaml());
    expect(Object.keys(doc.clouds).sort()).toEqual(['sim', 'sim-demo', 'sim-dest', 'sim-destuser']);
    expect(doc.clouds['sim-destuser'].auth).toMatchObject({ username: 'destuser', project_name: 'dest', auth_url: sim.authUrl });
    expect(sim.cloud.region_name).toBe('RegionOne');
  });

  it('leaves block storage out of the catalog when withCinder is false', async () => {
    const nc = await startSimulator({ withCinder: false });
    try {
      const s = await login(nc);
      expect(s.catalog.map((c) => c.type).sort()).toEqual(['compute', 'identity', 'image']);
    } finally {
      await nc.close();
    }
  });
});
