// What bench/nightly.ts needs from the simulator: projects with their own users, servers in
// bulk, clouds.yaml entries for them, and latency ranges drawn from a seeded source.
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import { client, login, waitFor } from './helpers';

const sims: SimHandle[] = [];
afterAll(async () => {
  for (const s of sims) await s.close();
});
async function sim(opts: Parameters<typeof startSimulator>[0] = {}): Promise<SimHandle> {
  const s = await startSimulator(opts);
  sims.push(s);
  return s;
}

describe('simulated fleet', () => {
  it('a project with its own member user sees only its servers; its clouds.yaml entry carries both', async () => {
    const s = await sim();
    const p = s.state.addProject('p07');
    expect(p).toEqual({ id: s.state.projectId('p07'), user: 'p07-user' });
    const made = s.state.addServers(3, { prefix: 'web', project: 'p07', user: 'p07-user', metadata: { 'snapflow:schedule': 'nightly' } });
    s.state.addServer({ name: 'elsewhere' });

    const entry = parse(s.cloudsYaml({ 'sim-p07': s.cloudFor('p07', 'p07-user') })).clouds['sim-p07'];
    expect(entry.auth).toMatchObject({ username: 'p07-user', password: 'demo-secret', project_name: 'p07' });
    expect(Object.keys(parse(s.cloudsYaml()).clouds)).not.toContain('sim-p07');

    const session = await login(s, 'p07', 'p07-user', entry.auth.password);
    const api = client(s, session);
    const list = await api('GET', '/v2.1/servers/detail');
    expect(list.status).toBe(200);
    expect(list.json.servers.map((x: { name: string }) => x.name).sort()).toEqual(['web-0001', 'web-0002', 'web-0003']);
    expect(list.json.servers[0].metadata).toEqual({ 'snapflow:schedule': 'nightly' });
    expect(new Set(made.map((m) => m.projectId))).toEqual(new Set([p.id]));
    // a member of p07 only: the admin project is not hers
    const elsewhere = [...s.state.servers.values()].find((x) => x.name === 'elsewhere')!;
    expect((await api('GET', `/v2.1/servers/${elsewhere.id}`)).status).toBe(404);
  });

  it('an existing user gains roles on a new project; a project name is not reused', async () => {
    const s = await sim();
    s.state.addProject('p08', { user: 'demo' });
    const session = await login(s, 'p08', 'demo');
    expect(session.projectId).toBe(s.state.projectId('p08'));
    expect(() => s.state.addProject('p08')).toThrow(/exists/);
  });

  it('latency ranges are drawn within [min, max], repeatably for one seed; fixed values stay fixed', async () => {
    const a = await sim({ seed: 42, latency: { stop: [200, 400], api: [1, 3] } });
    const b = await sim({ seed: 42, latency: { stop: [200, 400], api: [1, 3] } });
    const draws = (s: SimHandle) => Array.from({ length: 50 }, () => s.state.raw.delay('stop'));
    const da = draws(a);
    expect(da).toEqual(draws(b));
    expect(da.every((d) => d >= 200 && d <= 400)).toBe(true);
    expect(new Set(da).size).toBeGreaterThan(40);
    expect(a.state.raw.delay('start')).toBe(50);
    expect(a.state.raw.delay('api')).toBeGreaterThanOrEqual(1);
  });

  it('a stop drawn from a range still walks powering-off to SHUTOFF, behind an API latency', async () => {
    const s = await sim({ seed: 7, latency: { stop: [20, 60], api: [1, 5] } });
    const server = s.state.addServer({ name: 'jittery' });
    const api = client(s, await login(s));
    expect((await api('POST', `/v2.1/servers/${server.id}/action`, { 'os-stop': null })).status).toBe(202);
    const status = await waitFor(async () => {
      const r = await api('GET', `/v2.1/servers/${server.id}`);
      return r.json.server.status === 'SHUTOFF' ? r.json.server.status : null;
    });
    expect(status).toBe('SHUTOFF');
    expect(s.counters.get('POST /v2.1/servers/{id}/action:os-stop')).toBe(1);
  });
});
