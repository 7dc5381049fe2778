// POST /v1/jobs preflight against the simulator and a real SQLite job table: what a caller
// hears at once instead of a job that fails later.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/http/envelope';
import { createSubmitPreflight } from '../../functions/submit-preflight';
import { type Harness, setup } from './harness';

async function rejection(p: Promise<unknown>): Promise<{ status: number; code: string; field?: string; details?: unknown } | 'passed'> {
  try {
    await p;
    return 'passed';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { status: err.status, code: err.code, field: err.extra.field, ...(err.extra.details ? { details: err.extra.details } : {}) };
  }
}

describe('submit preflight', () => {
  let h: Harness;
  let preflight: ReturnType<typeof createSubmitPreflight>;
  beforeEach(async () => {
    h = await setup();
    preflight = createSubmitPreflight({ hasCloud: (n) => n === 'sim' || n === 'down', openstack: (c) => h.deps.openstack(c) });
  });
  afterEach(async () => h.close());

  it('names the field of an unknown cloud (400) and an unknown server (404)', async () => {
    expect(await rejection(preflight({ kind: 'snapshot', cloud: 'nope', server: 'web' }))).toMatchObject({
      status: 400,
      code: 'unknown_cloud',
      field: 'cloud',
    });
    expect(await rejection(preflight({ kind: 'snapshot', cloud: 'sim', server: 'ghost' }))).toMatchObject({
      status: 404,
      code: 'server_not_found',
      field: 'server',
    });
  });

  it('a move keeping the hostname where DNS cannot be asked (Workers) is a 400; an unknown destination names to.cloud', async () => {
    h.sim.state.addServer({ name: 'mv' });
    const move = { kind: 'move', cloud: 'sim', server: 'mv', to: { cloud: 'sim' }, confirm: true };
    expect(await rejection(preflight({ ...move, keepHostname: true }))).toMatchObject({ status: 400, code: 'dns_unavailable', field: 'keepHostname' });
    expect(await rejection(preflight({ ...move, to: { cloud: 'elsewhere' } }))).toMatchObject({ status: 400, code: 'unknown_cloud', field: 'to.cloud' });
    const withDns = createSubmitPreflight({ hasCloud: (n) => n === 'sim', canResolveHostnames: true, openstack: (c) => h.deps.openstack(c) });
    expect(await rejection(withDns({ ...move, keepHostname: true }))).toBe('passed');
  });

  it('resolves the server: its name and its id give one lock, on the id, with the name as alias', async () => {
    const web = h.sim.state.addServer({ name: 'web' });
    const byName = await preflight({ kind: 'snapshot', cloud: 'sim', server: 'web' });
    const byId = await preflight({ kind: 'rollback', cloud: 'sim', server: web.id });
    expect(byName).toEqual({ lockKey: `sim/${web.id}`, lockAlias: 'sim/web' });
    expect(byId).toEqual(byName);
  });

  it('answers 409 for a name two servers share', async () => {
    h.sim.state.addServer({ name: 'twin' });
    h.sim.state.addServer({ name: 'twin' });
    expect(await rejection(preflight({ kind: 'snapshot', cloud: 'sim', server: 'twin' }))).toMatchObject({
      status: 409,
      code: 'server_ambiguous',
      field: 'server',
    });
  });

  it('lets the job through when the cloud does not answer (its own retries report it), on the server as typed', async () => {
    h.sim.faults.add({ route: /\/v2\.1\/servers/, status: 503, times: 100 });
    expect(await rejection(preflight({ kind: 'snapshot', cloud: 'sim', server: 'web' }))).toBe('passed');
    // no resolved lock: the engine keeps the workflow's own key, `<cloud>/<server as typed>`
    expect(await preflight({ kind: 'snapshot', cloud: 'sim', server: 'web' })).toBeUndefined();
  });
});
