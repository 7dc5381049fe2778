// The app with the real v1 contract (functions/workflows/params.ts) and the real workflow
// definitions: validation field paths, dry-run plans, idempotent replays and the server
// filter's lock key. Nothing runs (dispatch is off), so no cloud is needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/http/app';
import { createJobNotifier } from '../../functions/http/job-notifier';
import { allWorkflows } from '../../functions/workflows/all-workflows';
import { workflowConfig } from '../../functions/workflows/deps';
import { createEngine } from '../../shared/engine/engine';
import { createJobStore, type SnapflowJobStore } from '../../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import { createSnapflowMetrics } from '../../shared/metrics/snapflow-metrics';
import { type ErrorJson, fakeSchedules, T_NOW, TOKENS, tokenEntries } from './harness';

let dir: string;
let store: SnapflowJobStore;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-http-real-'));
  store = createJobStore(openSqliteJobDb(join(dir, 'jobs.db')));
  await store.migrate();
  const workflows = allWorkflows({
    openstack: () => {
      throw new Error('no cloud in this test');
    },
    config: workflowConfig(),
    fetch: () => Promise.reject(new Error('no network in this test')),
    now: () => T_NOW,
  });
  const notifier = createJobNotifier();
  const engine = createEngine({ store, workflows, owner: 'real-contract', leaseMs: 30_000, dispatch: () => {}, wakeWithinMs: 0, onEvent: notifier.onEvent });
  app = createApp({
    engine,
    store,
    workflows,
    auth: { tokens: await tokenEntries() },
    notifier,
    metrics: createSnapflowMetrics(),
    health: () => ({ status: 'ok', mode: 'simulator', clouds: [], db: { ok: true } }),
    schedules: { list: () => fakeSchedules, runNow: async () => null },
    snapshots: { list: async () => [] },
    log: { error: () => {} },
  });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.request('/v1/jobs', {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKENS.submitter}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function fieldOf(res: Response): Promise<{ status: number; field?: string; message: string }> {
  const b = (await res.json()) as ErrorJson;
  return { status: res.status, ...(b.error.field !== undefined ? { field: b.error.field } : {}), message: b.error.message };
}

describe('real v1 contract', () => {
  it('names the field of each invalid request', async () => {
    expect(await fieldOf(await post({ kind: 'rollback', cloud: 'prod', server: 'web', image: 'latest' }))).toEqual({
      status: 400,
      field: 'confirm',
      message: 'confirm: required',
    });
    expect(await fieldOf(await post({ kind: 'rollback', cloud: 'prod', server: 'web', image: 'latest', confirm: false }))).toMatchObject({
      status: 400,
      field: 'confirm',
    });
    expect(await fieldOf(await post({ kind: 'prune', cloud: 'prod', server: 'web' }))).toMatchObject({ status: 400, field: 'keep' });
    expect(await fieldOf(await post({ kind: 'snapshot', cloud: 'prod', server: 'web', kepp: 3 }))).toMatchObject({ status: 400, field: 'kepp' });
    expect(await fieldOf(await post({ kind: 'snapshot', cloud: 'prod', server: 'web', properties: { snapflow_job: 'x' } }))).toMatchObject({
      status: 400,
      field: 'properties',
    });
    expect(await fieldOf(await post({ kind: 'clone', cloud: 'prod', server: 'web' }))).toMatchObject({ status: 400, field: 'kind' });
  });

  it('returns the workflows’ dry-run plans', async () => {
    const plan = async (body: Record<string, unknown>) => {
      const res = await post({ ...body, dryRun: true });
      expect(res.status).toBe(200);
      return ((await res.json()) as { plan: string[] }).plan;
    };
    expect(await plan({ kind: 'snapshot', cloud: 'prod', server: 'web', stop: true, keep: 3 })).toEqual([
      'resolve-server',
      'stop-server',
      'wait-shutoff',
      'create-image',
      'wait-image-active',
      'wait-volume-snapshots',
      'start-server',
      'wait-active',
      'select-prunable',
      'delete-images',
    ]);
    expect((await plan({ kind: 'rollback', cloud: 'prod', server: 'web', image: 'latest', confirm: true })).length).toBeGreaterThan(0);
    expect(await store.listJobs({})).toEqual([]);
  });

  it('runs a prune dry run as a read-only job (it must read the cloud to say what it would delete)', async () => {
    const res = await post({ kind: 'prune', cloud: 'prod', server: 'web-dry', keep: 7, dryRun: true });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await store.getJob(id);
    expect(job?.params).toMatchObject({ kind: 'prune', keep: 7, dryRun: true });
  });

  it('replays with the same key (defaults and `kind` as the engine stored them) and filters by server', async () => {
    const body = { kind: 'snapshot', cloud: 'prod', server: 'web', keep: 3 };
    const first = await post(body, { 'Idempotency-Key': 'real-1' });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await post({ ...body, policy: 'manual', stop: false }, { 'Idempotency-Key': 'real-1' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(id);
    expect((await post({ ...body, keep: 4 }, { 'Idempotency-Key': 'real-1' })).status).toBe(409);
    const list = (await (await app.request('/v1/jobs?cloud=prod&server=web', { headers: { Authorization: `Bearer ${TOKENS.reader}` } })).json()) as {
      jobs: { id: string }[];
    };
    expect(list.jobs.map((j) => j.id)).toEqual([id]);
  });
});
