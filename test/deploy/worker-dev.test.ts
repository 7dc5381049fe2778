import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenStackClient, globalFetchTransport, type OpenStackClient } from '../../shared/openstack/client';
import { loadCloudConfig } from '../../shared/openstack/clouds-node';
import { offMachineCalls, STRACE } from './strace';
import { labCloudEntry, labCloudsFile, startWranglerDev, type WranglerDev } from './wrangler-dev';

// The real entry (wrangler.toml `main`) under `wrangler dev --local` (workerd, local D1),
// driven over HTTP as a deployment would be: catches what importing the handlers in the
// vitest pool cannot (global-scope rules, what workerd makes of the module's exports).
// With the OpenStack lab on 127.0.0.1 (OS_CLIENT_CONFIG_FILE, default
// /var/tmp/oslab/clouds.yaml) it also snapshots and rolls back a real server, the Cron
// Trigger (`/__scheduled`) being the only clock, as on Workers.

const TOKEN = 'worker-dev-test-token-0123456789';
const LAB_CLOUD = process.env.SNAPFLOW_DEV_TEST_CLOUD ?? 'oslab';

const lab = labCloudEntry(LAB_CLOUD);
let dev: WranglerDev;

function call(path: string, init: RequestInit & { auth?: boolean } = {}): Promise<Response> {
  const { auth = true, ...rest } = init;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${TOKEN}`;
  return fetch(`${dev.base}${path}`, { ...rest, headers, signal: AbortSignal.timeout(30_000) });
}

beforeAll(async () => {
  dev = await startWranglerDev({
    SNAPFLOW_TOKENS: JSON.stringify([{ name: 'ops', secret: TOKEN, scopes: ['admin'], targets: ['**'] }]),
    ...(lab ? { SNAPFLOW_CLOUDS: JSON.stringify({ [LAB_CLOUD]: lab }) } : {}),
  });
}, 70_000);

afterAll(() => dev?.stop());

describe('functions/worker.ts under wrangler dev (workerd, local D1)', () => {
  it('starts without errors and answers /healthz from D1', async () => {
    const body = await (await call('/healthz', { auth: false })).json();
    expect(body).toMatchObject({ mode: 'cloud', db: { ok: true, dialect: 'd1' } });
    expect(dev.output()).not.toMatch(/\[ERROR\]|Uncaught/);
  });

  it('takes a dry run and lists jobs with the token from the bindings', async () => {
    const dry = await call('/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'any', server: 'web', dryRun: true }) });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ dryRun: true, kind: 'snapshot', plan: expect.arrayContaining(['create-image']) });
    expect((await call('/v1/jobs')).status).toBe(200);
    expect((await call('/v1/jobs', { auth: false })).status).toBe(401);
  });

  it('runs the scheduled handler on a Cron event', async () => {
    await dev.cron('* * * * *');
    const until = Date.now() + 10_000;
    while (!/"msg":"cron"/.test(dev.output()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(dev.output()).toMatch(/"msg":"cron","cron":"\* \* \* \* \*".*"failures":\[\]/);
  });

  it.skipIf(!lab)(`authenticates to the lab cloud "${LAB_CLOUD}" with the global fetch, printing no secret`, async () => {
    const body = await (await call('/healthz', { auth: false })).json();
    expect(body).toMatchObject({ status: 'ok', clouds: [{ name: LAB_CLOUD, ok: true }] });
    const password = (lab!.auth as { password?: string }).password;
    if (password) expect(dev.output()).not.toContain(password);
  });

  it.skipIf(!STRACE)('sends no traffic off the machine', () => {
    const log = dev.straceLog();
    expect(log).not.toBeNull();
    expect(offMachineCalls(log!)).toEqual([]);
  });
});

interface JobView {
  id: string;
  state: string;
  step: string | null;
  result: Record<string, unknown> | null;
  error: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!lab)(`functions/worker.ts under wrangler dev on the OpenStack lab ("${LAB_CLOUD}")`, () => {
  const name = `snapflow-wk-${randomBytes(4).toString('hex')}`;
  const cleanup: Array<() => Promise<unknown>> = [];
  let os: OpenStackClient;
  let snapshotImageId: string;

  beforeAll(async () => {
    os = createOpenStackClient(loadCloudConfig(LAB_CLOUD, { env: { OS_CLIENT_CONFIG_FILE: labCloudsFile() } }), { transport: globalFetchTransport() });
    const base = (await os.image.listAll({ filters: { name: process.env.SNAPFLOW_CONTRACT_IMAGE ?? 'oslab-base' } }))[0];
    if (!base) throw new Error('lab base image not found');
    const { id } = await os.compute.createServer({ name, flavor: process.env.SNAPFLOW_CONTRACT_FLAVOR ?? 'm1.nano', imageRef: base.id, networks: 'none' });
    cleanup.push(() => os.compute.deleteServer(id));
    const until = Date.now() + 120_000;
    for (;;) {
      const s = await os.compute.getServer(id);
      if (s.status === 'ACTIVE') break;
      if (s.status === 'ERROR') throw new Error(`lab server ${name} went to ERROR`);
      if (Date.now() > until) throw new Error(`lab server ${name} not ACTIVE after 120 s (${s.status})`);
      await sleep(500);
    }
  }, 150_000);

  afterAll(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => {});
  });

  /** Submits a job and drives it with Cron events only (no in-process timers on Workers). */
  async function runJob(body: Record<string, unknown>): Promise<JobView> {
    const res = await call('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const until = Date.now() + 120_000;
    for (;;) {
      const job = (await (await call(`/v1/jobs/${id}`)).json()) as JobView;
      if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
      if (Date.now() > until) throw new Error(`job ${id} still ${job.state} at ${job.step} after 120 s`);
      await dev.cron();
      await sleep(300);
    }
  }

  it('snapshots a real server: steps chained by waitUntil, waits resumed by the Cron tick', async () => {
    const job = await runJob({ kind: 'snapshot', cloud: LAB_CLOUD, server: name });
    if (typeof job.result?.imageId === 'string') {
      const imageId = job.result.imageId;
      cleanup.push(() => os.image.delete(imageId));
    }
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: 'succeeded', result: { serverName: name } });
    snapshotImageId = job.result!.imageId as string;
    const image = await os.image.get(snapshotImageId);
    expect(image).toMatchObject({ status: 'active', snapflow_job: job.id });
  }, 150_000);

  it('rolls the server back to that snapshot', async () => {
    expect(snapshotImageId).toBeDefined();
    const job = await runJob({ kind: 'rollback', cloud: LAB_CLOUD, server: name, image: snapshotImageId, confirm: true });
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: 'succeeded', result: { imageId: snapshotImageId, status: 'ACTIVE' } });
    expect(dev.output()).not.toMatch(/\[ERROR\]|Uncaught/);
  }, 150_000);
});
