import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import type { Session } from './helpers';
import { type client, login, openSimSession } from './helpers';

let sim: SimHandle;
let s: Session;
let api: ReturnType<typeof client>;
beforeAll(async () => ({ sim, s, api } = await openSimSession()));
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  sim.faults.clear();
  sim.counters.reset();
});

describe('fault injection and counters', () => {
  it('fails N times with the service error shape, then recovers', async () => {
    sim.faults.add({ route: 'GET /v2.1/servers', times: 2, status: 503 });
    const a = await api('GET', '/v2.1/servers');
    const b = await api('GET', '/v2.1/servers');
    const c = await api('GET', '/v2.1/servers');
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(a.json).toEqual({ serviceUnavailable: { code: 503, message: 'Simulated fault (snapflow simulator)' } });
    expect(a.headers.get('x-compute-request-id')).toMatch(/^req-/);
    expect(sim.counters.get('GET /v2.1/servers')).toBe(3);
  });

  it('uses Glance HTML, Keystone JSON and custom bodies/headers', async () => {
    sim.faults.add({ route: 'GET /v2/images/{id}', times: 1, status: 500 });
    const g = await api('GET', `/v2/images/${sim.state.baseImageId}`);
    expect(g.status).toBe(500);
    expect(g.text).toContain('<title>500 Internal Server Error</title>');
    sim.faults.add({ route: 'POST /v3/auth/tokens', times: 1, status: 503 });
    await expect(login(sim)).rejects.toThrow(/503/);
    expect((await login(sim)).token).toBeTruthy();
    sim.faults.add({
      route: 'GET /v2.1/flavors',
      times: 1,
      status: 429,
      body: { overLimit: { code: 429, message: 'slow down' } },
      headers: { 'Retry-After': '1' },
    });
    const f = await api('GET', '/v2.1/flavors');
    expect(f.status).toBe(429);
    expect(f.json.overLimit.message).toBe('slow down');
    expect(f.headers.get('retry-after')).toBe('1');
  });

  it('targets one action by name and counts actions separately', async () => {
    const id = sim.state.addServer({ name: 'f' }).id;
    sim.faults.add({
      route: 'POST /v2.1/servers/{id}/action:createImage',
      times: 1,
      status: 409,
      body: { conflictingRequest: { code: 409, message: `Cannot 'createImage' instance ${id} while it is in task_state image_snapshot` } },
    });
    const stop = await api('POST', `/v2.1/servers/${id}/action`, { 'os-stop': null });
    expect(stop.status).toBe(202);
    await new Promise((r) => setTimeout(r, 80));
    const snap1 = await api('POST', `/v2.1/servers/${id}/action`, { createImage: { name: 'x' } });
    expect(snap1.status).toBe(409);
    const snap2 = await api('POST', `/v2.1/servers/${id}/action`, { createImage: { name: 'x' } });
    expect(snap2.status).toBe(202);
    expect(sim.counters.get('POST /v2.1/servers/{id}/action:createImage')).toBe(2);
    expect(sim.counters.get('POST /v2.1/servers/{id}/action:os-stop')).toBe(1);
    expect(sim.counters.get('POST /v2.1/servers/{id}/action')).toBe(3);
    expect(sim.calls.filter((c) => c.route === 'POST /v2.1/servers/{id}/action:createImage').map((c) => c.status)).toEqual([409, 202]);
  });

  it('delays and drops connections', async () => {
    sim.faults.add({ route: /^\/v2\.1\/flavors$/, times: 1, delayMs: 300 });
    let delayedDone = false;
    const delayed = api('GET', '/v2.1/flavors').then((r) => {
      delayedDone = true;
      return r;
    });
    // a request sent after the delayed one overtakes it
    expect((await api('GET', '/v2.1/flavors/42')).status).toBe(200);
    expect(delayedDone).toBe(false);
    expect((await delayed).status).toBe(200);
    sim.faults.add({ method: 'GET', route: '/v2/images', times: 1, drop: true });
    await expect(api('GET', '/v2/images')).rejects.toThrow();
    expect((await api('GET', '/v2/images')).status).toBe(200);
  });

  it('applies a fault only when the predicate says so', async () => {
    sim.faults.add({ route: 'GET /v2.1/servers/detail', status: 500, when: (req) => (req.url ?? '').includes('name=boom') });
    expect((await api('GET', '/v2.1/servers/detail?name=ok')).status).toBe(200);
    expect((await api('GET', '/v2.1/servers/detail?name=boom')).status).toBe(500);
    expect((await api('GET', '/v2.1/servers/detail?name=boom')).status).toBe(500);
    expect(sim.counters.all()['GET /v2.1/servers/detail']).toBe(3);
  });

  it('fails an upload without reading it, leaving the image queued', async () => {
    const img = (await api('POST', '/v2/images', { name: 'u', disk_format: 'raw', container_format: 'bare' })).json;
    sim.faults.add({ route: 'PUT /v2/images/{id}/file', times: 1, status: 503 });
    const r = await fetch(`${sim.url}/v2/images/${img.id}/file`, {
      method: 'PUT',
      body: Buffer.alloc(4096),
      headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/octet-stream' },
    });
    expect(r.status).toBe(503);
    expect((await api('GET', `/v2/images/${img.id}`)).json.status).toBe('queued');
  });
});
