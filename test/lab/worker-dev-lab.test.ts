import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWranglerDev, type WranglerDev } from '../../bench/lib/wrangler-dev';
import { createOpenStackClient, globalFetchTransport, type OpenStackClient } from '../../shared/openstack/client';
import { loadCloudConfig } from '../../shared/openstack/clouds-node';
import { labCloudEntry, labCloudsFile } from './lab-cloud';

// Real-cloud tier: the Workers entry under plain `wrangler dev --local` (workerd, local D1,
// local Queues) snapshots and rolls back a real server of the OpenStack lab on 127.0.0.1,
// every step and wait carried by the job queue: no Cron Trigger is fired. Skipped unless
// OS_CLOUD is set (the default suite runs the same against the simulator:
// test/deploy/worker-dev.test.ts).

const TOKEN = 'worker-dev-test-token-0123456789';
const LAB_CLOUD = process.env.SNAPFLOW_DEV_TEST_CLOUD ?? 'oslab';
const lab = labCloudEntry(LAB_CLOUD);

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
  let dev: WranglerDev;
  let os: OpenStackClient;
  let snapshotImageId: string;

  function call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    return fetch(`${dev.base}${path}`, { ...init, headers, signal: AbortSignal.timeout(200_000) });
  }

  /** Submits a job and long-polls it: the queue alone carries it to the end. */
  async function runJob(body: Record<string, unknown>): Promise<JobView> {
    const res = await call('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return (await (await call(`/v1/jobs/${id}/wait?timeout=180`)).json()) as JobView;
  }

  beforeAll(async () => {
    dev = await startWranglerDev({
      SNAPFLOW_TOKENS: JSON.stringify([{ name: 'ops', secret: TOKEN, scopes: ['admin'], targets: ['**'] }]),
      SNAPFLOW_CLOUDS: JSON.stringify({ [LAB_CLOUD]: lab }),
    });
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
  }, 200_000);

  afterAll(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => {});
    await dev?.stop();
  });

  it('authenticates to the lab cloud with the global fetch, printing no secret', async () => {
    const body = await (await fetch(`${dev.base}/healthz`)).json();
    expect(body).toMatchObject({ status: 'ok', clouds: [{ name: LAB_CLOUD, ok: true }] });
    const password = (lab!.auth as { password?: string }).password;
    if (password) expect(dev.output()).not.toContain(password);
  });

  it('snapshots a real server: steps and waits carried by the job queue', async () => {
    const job = await runJob({ kind: 'snapshot', cloud: LAB_CLOUD, server: name });
    if (typeof job.result?.imageId === 'string') {
      const imageId = job.result.imageId;
      cleanup.push(() => os.image.delete(imageId));
    }
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: 'succeeded', result: { serverName: name } });
    snapshotImageId = job.result!.imageId as string;
    const image = await os.image.get(snapshotImageId);
    expect(image).toMatchObject({ status: 'active', snapflow_job: job.id });
  }, 240_000);

  it('rolls the server back to that snapshot', async () => {
    expect(snapshotImageId).toBeDefined();
    const job = await runJob({ kind: 'rollback', cloud: LAB_CLOUD, server: name, image: snapshotImageId, confirm: true });
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: 'succeeded', result: { imageId: snapshotImageId, status: 'ACTIVE' } });
    expect(dev.output()).not.toMatch(/\[ERROR\]|Uncaught/);
  }, 240_000);
});
