import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import { login } from './helpers';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const NOT_FOUND_HTML =
  '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\n\n\n\n ' +
  '</body>\n</html>';

describe('unknown routes and version headers (lab answers)', () => {
  it('answers unknown Nova paths and methods with the webob 404 page', async () => {
    for (const [m, p] of [
      ['GET', '/v2.1/nonexistent'],
      ['DELETE', '/v2.1/servers'],
    ] as const) {
      const r = await fetch(`${sim.url}${p}`, { method: m });
      expect(r.status).toBe(404);
      expect(r.headers.get('x-compute-request-id')).toMatch(/^req-/);
      expect(await r.text()).toBe(NOT_FOUND_HTML);
    }
  });

  it('answers a wrong Glance method with 405 and Allow', async () => {
    const r = await fetch(`${sim.url}/v2/images/x`, { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, PATCH, DELETE');
    expect(await r.text()).toContain('The method POST is not allowed for this resource.');
    expect((await fetch(`${sim.url}/v2/foo`)).status).toBe(404);
  });

  it('answers Keystone unknown paths with Flask pages', async () => {
    const nf = await fetch(`${sim.url}/v3/nonexistent`);
    expect(nf.status).toBe(404);
    expect(await nf.text()).toContain('The requested URL was not found on the server.');
    const na = await fetch(`${sim.url}/v3/auth/tokens`, { method: 'PUT' });
    expect(na.status).toBe(405);
    expect(await na.json()).toEqual({ message: 'The method is not allowed for the requested URL.' });
  });

  it('Cinder refuses a version header without a volume version, and negotiates volume ones', async () => {
    const s = await login(sim);
    const url = `${sim.url}/v3/${s.projectId}/volumes`;
    const bad = await fetch(url, { headers: { 'X-Auth-Token': s.token, 'OpenStack-API-Version': 'compute 2.79' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      badRequest: { code: 400, message: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' },
    });
    const both = await fetch(url, { headers: { 'X-Auth-Token': s.token, 'OpenStack-API-Version': 'compute 2.79, volume 3.60' } });
    expect(both.headers.get('openstack-api-version')).toBe('volume 3.60');
    const latest = await fetch(url, { headers: { 'X-Auth-Token': s.token, 'OpenStack-API-Version': 'volume latest' } });
    expect(latest.headers.get('openstack-api-version')).toBe('volume 3.70');
    const high = await fetch(url, { headers: { 'X-Auth-Token': s.token, 'OpenStack-API-Version': 'volume 3.99' } });
    expect(high.status).toBe(406);
    expect(((await high.json()) as any).computeFault.message).toBe('Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.');
    const none = await fetch(url, { headers: { 'X-Auth-Token': s.token } });
    expect(none.headers.get('openstack-api-version')).toBe('volume 3.0');
  });

  it("an admin snapshot of another project's server is shared with that project", async () => {
    const srv = sim.state.addServer({ name: 'theirs', project: 'dest', user: 'destuser' });
    const s = await login(sim);
    const r = await fetch(`${sim.url}/v2.1/servers/${srv.id}/action`, {
      method: 'POST',
      body: JSON.stringify({ createImage: { name: 'cross' } }),
      headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.79' },
    });
    expect(r.status).toBe(202);
    const img = sim.state.images.get(((await r.json()) as any).image_id)!;
    expect(img.owner).toBe(s.projectId);
    expect(img.visibility).toBe('shared');
    expect(img.props.instance_owner).toBe(sim.state.projectId('dest'));
    expect(img.members.has(sim.state.projectId('dest'))).toBe(true);
  });
});
