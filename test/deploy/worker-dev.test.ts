import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offMachineCalls, STRACE } from '../../bench/lib/strace';
import { startWranglerDev, type WranglerDev } from '../../bench/lib/wrangler-dev';
import { type SimHandle, startSimulator } from '../../shared/sim/server';

// The real entry (wrangler.toml `main`) under plain `wrangler dev --local` (workerd, local
// D1, local Queues), driven over HTTP as a deployment would be: catches what importing the
// handlers in the vitest pool cannot (global-scope rules, what workerd makes of the
// module's exports, the queue runtime's delivery and delays). Against the OpenStack
// simulator, a snapshot and a rollback finish on their own: nothing here fires a Cron
// Trigger until the jobs are done (the lab tier does the same on a real cloud:
// test/lab/worker-dev-lab.test.ts).

const TOKEN = 'worker-dev-test-token-0123456789';

let sim: SimHandle;
let dev: WranglerDev;

function call(path: string, init: RequestInit & { auth?: boolean } = {}): Promise<Response> {
  const { auth = true, ...rest } = init;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${TOKEN}`;
  return fetch(`${dev.base}${path}`, { ...rest, headers, signal: AbortSignal.timeout(70_000) });
}

interface JobView {
  id: string;
  state: string;
  step: string | null;
  result: Record<string, unknown> | null;
  error: unknown;
}

/** Submits a job and long-polls it, as the README's curl session does. */
async function runJob(body: Record<string, unknown>): Promise<{ job: JobView; events: Array<{ type: string }> }> {
  const res = await call('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const waited = (await (await call(`/v1/jobs/${id}/wait?timeout=60`)).json()) as { job?: JobView } & JobView;
  const job = waited.job ?? waited;
  const events = ((await (await call(`/v1/jobs/${id}/events?limit=1000`)).json()) as { events: Array<{ type: string }> }).events;
  return { job, events };
}

beforeAll(async () => {
  sim = await startSimulator();
  sim.state.addServer({ name: 'demo-web' });
  dev = await startWranglerDev({
    SNAPFLOW_TOKENS: JSON.stringify([{ name: 'ops', secret: TOKEN, scopes: ['admin'], targets: ['**'] }]),
    SNAPFLOW_CLOUDS: JSON.stringify({ sim: sim.cloud }),
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  await sim?.close();
});

describe('functions/worker.ts under wrangler dev (workerd, local D1 and Queues) against the simulator', () => {
  it('starts without errors and answers /healthz from D1, with the cloud reachable', async () => {
    const body = await (await call('/healthz', { auth: false })).json();
    expect(body).toMatchObject({ status: 'ok', mode: 'cloud', db: { ok: true, dialect: 'd1' }, clouds: [{ name: 'sim', ok: true }] });
    expect(dev.output()).not.toMatch(/\[ERROR\]|Uncaught/);
  });

  it('takes a dry run and lists jobs with the token from the bindings', async () => {
    const dry = await call('/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'sim', server: 'demo-web', dryRun: true }) });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ dryRun: true, kind: 'snapshot', plan: expect.arrayContaining(['create-image']) });
    expect((await call('/v1/jobs')).status).toBe(200);
    expect((await call('/v1/jobs', { auth: false })).status).toBe(401);
  });

  let imageId: string;

  it('snapshots a server with no Cron Trigger: every step through the queue, the image wait by a delayed message', async () => {
    const { job, events } = await runJob({ kind: 'snapshot', cloud: 'sim', server: 'demo-web' });
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: 'succeeded', result: { serverName: 'demo-web' } });
    imageId = job.result!.imageId as string;
    expect(sim.state.images.get(imageId)).toMatchObject({ status: 'active' });
    expect(events.map((e) => e.type)).toContain('step.wait');
    // a step that outlived its event would show as an expired lease, taken over by a tick
    expect(events.map((e) => e.type)).not.toContain('lease.expired');
  }, 90_000);

  it('then rolls the server back to that snapshot, also on its own', async () => {
    expect(imageId).toBeDefined();
    const { job, events } = await runJob({ kind: 'rollback', cloud: 'sim', server: 'demo-web', image: 'latest', confirm: true });
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: 'succeeded', result: { imageId, status: 'ACTIVE' } });
    expect(events.map((e) => e.type)).not.toContain('lease.expired');
    expect(dev.output()).not.toMatch(/\[ERROR\]|Uncaught/);
  }, 90_000);

  it('runs the scheduled handler on a Cron event', async () => {
    await dev.cron('* * * * *');
    const until = Date.now() + 10_000;
    while (!/"msg":"cron"/.test(dev.output()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(dev.output()).toMatch(/"msg":"cron","cron":"\* \* \* \* \*".*"failures":\[\]/);
  });

  it.skipIf(!STRACE)('sends no traffic off the machine', () => {
    const log = dev.straceLog();
    expect(log).not.toBeNull();
    expect(offMachineCalls(log!)).toEqual([]);
  });
});
