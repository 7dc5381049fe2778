import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createWorker } from '../../functions/worker-handlers';
import type { WorkerEnv } from '../../functions/worker-types';
import { Task } from '../../shared/runner/protocol';
import { newTask } from '../store/store-contract-runner-tasks';

// Runs inside workerd: the Workers entry (functions/worker.ts) on a local D1 database,
// driven through its own fetch/scheduled handlers as the runtime would call them.

const TOKEN = 'workers-app-test-token-0123456789';
const RUNNER_TOKEN = 'workers-runner-token-0123456789';
const TOKENS = JSON.stringify([
  { name: 'ops', secret: TOKEN, scopes: ['admin'], targets: ['**'] },
  { name: 'runner', secret: RUNNER_TOKEN, scopes: ['runner'] },
]);
// Nothing listens on 127.0.0.1:9 (discard): every OpenStack call fails to connect.
const DEAD_PASSWORD = 'dead-cloud-password-do-not-print';
const DEAD_CLOUDS = JSON.stringify({
  dead: {
    auth: {
      auth_url: 'http://127.0.0.1:9/v3',
      username: 'snapflow',
      password: DEAD_PASSWORD,
      user_domain_name: 'Default',
      project_name: 'demo',
      project_domain_name: 'Default',
    },
  },
});

const baseEnv = (extra: Record<string, unknown> = {}): WorkerEnv => ({ DB: env.DB, SNAPFLOW_TOKENS: TOKENS, ...extra });

/** One fetch event, waited for to the end (response and every waitUntil'ed step). */
async function call(worker: ReturnType<typeof createWorker>, bindings: WorkerEnv, path: string, init: RequestInit & { auth?: boolean | string } = {}) {
  const { auth = true, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (auth) headers.set('authorization', `Bearer ${auth === true ? TOKEN : auth}`);
  if (rest.body !== undefined) headers.set('content-type', 'application/json');
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://snapflow.example${path}`, { ...rest, headers }), bindings, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, text, json: () => JSON.parse(text) as any };
}

describe('functions/worker.ts in workerd with D1', () => {
  it('serves /healthz with the D1 job table and no cloud', async () => {
    const w = createWorker();
    const r = await call(w, baseEnv(), '/healthz', { auth: false });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', mode: 'cloud', clouds: [], db: { ok: true, dialect: 'd1' } });
  });

  it('serves the OpenAPI document', async () => {
    const r = await call(createWorker(), baseEnv(), '/openapi.json', { auth: false });
    expect(r.status).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/v1/jobs');
  });

  it('rejects a bad job body with a 400 naming the field', async () => {
    const w = createWorker();
    const r = await call(w, baseEnv(), '/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ kind: 'rollback', cloud: 'prod', server: 'web', image: 'latest' }),
    });
    expect(r.status).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalid_body', field: 'confirm' });
    const anon = await call(w, baseEnv(), '/v1/jobs', { method: 'POST', body: '{}', auth: false });
    expect(anon.status).toBe(401);
  });

  it('answers an authorised dry run with the plan, then lists jobs', async () => {
    const w = createWorker();
    const dry = await call(w, baseEnv(), '/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ kind: 'snapshot', cloud: 'prod', server: 'web', stop: true, dryRun: true }),
    });
    expect(dry.status).toBe(200);
    const body = dry.json();
    expect(body).toMatchObject({ dryRun: true, kind: 'snapshot' });
    expect(body.plan).toEqual(expect.arrayContaining(['resolve-server', 'stop-server', 'create-image', 'wait-image-active', 'start-server']));

    const list = await call(w, baseEnv(), '/v1/jobs');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.json().jobs)).toBe(true);
    expect((await call(w, baseEnv(), '/v1/jobs', { auth: false })).status).toBe(401);
  });

  it('runs the first step at once (waitUntil) and records a clear network error for an unreachable cloud', async () => {
    const w = createWorker();
    const bindings = baseEnv({ SNAPFLOW_CLOUDS: DEAD_CLOUDS });
    const sub = await call(w, bindings, '/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'dead', server: 'web' }) });
    expect(sub.status).toBe(202);
    const { id } = sub.json();
    // call() waited for the dispatched step: it ran, failed to connect, and was put back
    // to wait for its retry (the next Cron tick).
    const job = (await call(w, bindings, `/v1/jobs/${id}`)).json();
    expect(job).toMatchObject({ state: 'waiting', step: 'resolve-server' });
    const events = await call(w, bindings, `/v1/jobs/${id}/events`);
    const retry = events.json().events.find((e: { type: string }) => e.type === 'step.retry');
    expect(retry.data.error).toMatchObject({ code: 'openstack.network', service: 'identity' });
    expect(retry.message).toMatch(/^identity POST \/v3\/auth\/tokens: .*(network|connect)/i);
    expect(events.text).not.toContain(DEAD_PASSWORD);

    const health = await call(w, bindings, '/healthz', { auth: false });
    expect(health.json()).toMatchObject({ status: 'degraded', clouds: [{ name: 'dead', ok: false }] });
    expect(health.text).not.toContain(DEAD_PASSWORD);
  });

  it('runs due jobs nobody dispatched on the Cron Trigger (safety-net tick)', async () => {
    const w = createWorker();
    const bindings = baseEnv({ SNAPFLOW_CLOUDS: DEAD_CLOUDS });
    const { store } = await w.service(bindings);
    // As if its dispatch had been lost with an isolate: queued, due, never run.
    const id = `lost-${crypto.randomUUID()}`;
    await store.insertJob({
      id,
      kind: 'snapshot',
      params: { cloud: 'dead', server: 'web', stop: false, properties: {}, policy: 'manual', dryRun: false },
      runAfter: Date.now() - 1_000,
    });
    const ctx = createExecutionContext();
    await w.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    expect(await store.getJob(id)).toMatchObject({ state: 'waiting', step: 'resolve-server' });
    const events = await store.listEvents(id);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['claimed', 'step.retry']);
    expect(events.at(-1)?.data).toMatchObject({ error: { code: 'openstack.network' } });
  });

  it('fires the schedule slots of the Cron event’s minute, and only those', async () => {
    const w = createWorker({
      schedules: [{ name: 'every-5', cron: '*/5 * * * *', timezone: 'UTC', target: { cloud: 'dead', servers: ['web'] }, retention: { keep: 2 } }],
    });
    const bindings = baseEnv({ SNAPFLOW_CLOUDS: DEAD_CLOUDS });
    const cronAt = async (iso: string) => {
      const ctx = createExecutionContext();
      const summary = await w.runCron(createScheduledController({ scheduledTime: Date.parse(iso), cron: '* * * * *' }), bindings, ctx);
      await waitOnExecutionContext(ctx);
      return summary.fired;
    };
    const fired = await cronAt('2026-11-26T12:05:00Z');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ schedule: 'every-5', slot: '2026-11-26T12:05:00.000Z', jobs: [] });
    // The target cannot be resolved on the unreachable cloud: reported, nothing submitted.
    expect(fired[0]?.errors[0]?.message).toMatch(/^resolving targets: identity POST \/v3\/auth\/tokens: /);
    expect(await cronAt('2026-11-26T12:06:00Z')).toEqual([]);
    expect(await cronAt('2026-11-26T12:04:59Z')).toEqual([]);
  });

  it('a broken SNAPFLOW_CLOUDS entry makes that cloud unusable (health, 400 at submission), never the deployment', async () => {
    const w = createWorker();
    const clouds = JSON.parse(DEAD_CLOUDS) as Record<string, unknown>;
    clouds.prod = { auth: { auth_url: 'not a url', password: DEAD_PASSWORD } };
    const bindings = baseEnv({ SNAPFLOW_CLOUDS: JSON.stringify(clouds) });
    const health = await call(w, bindings, '/healthz', { auth: false });
    expect(health.status).toBe(200);
    expect(health.json().clouds).toEqual(
      expect.arrayContaining([{ name: 'prod', ok: false, message: expect.stringMatching(/^unusable: SNAPFLOW_CLOUDS: prod\.auth\.auth_url: /) }]),
    );
    const sub = await call(w, bindings, '/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'prod', server: 'web' }) });
    expect(sub.status).toBe(400);
    expect(sub.json().error).toMatchObject({ code: 'cloud_unusable', field: 'cloud' });
    expect(health.text + sub.text).not.toContain(DEAD_PASSWORD);
  });

  it('answers 503 naming the broken setting, never its value, when SNAPFLOW_CLOUDS cannot be read or a schedule names no cloud', async () => {
    const notJson = await call(createWorker(), baseEnv({ SNAPFLOW_CLOUDS: `{"prod": ${DEAD_PASSWORD}` }), '/v1/jobs');
    expect(notJson.status).toBe(503);
    expect(notJson.json().error.code).toBe('misconfigured');
    expect(notJson.text).toMatch(/SNAPFLOW_CLOUDS: not valid JSON/);
    expect(notJson.text).not.toContain(DEAD_PASSWORD);
    const w = createWorker({ schedules: [{ name: 'typo', cron: '@daily', target: { cloud: 'deadd', servers: ['web'] } }] });
    const r = await call(w, baseEnv({ SNAPFLOW_CLOUDS: DEAD_CLOUDS }), '/healthz', { auth: false });
    expect(r.status).toBe(503);
    expect(r.json().error.details).toEqual(['schedules/schedules.ts: schedule "typo": target.cloud: unknown cloud "deadd" (configured clouds: dead)']);
  });

  it('serves the runner routes on D1: claim, heartbeat (progress on the job), complete; a late report is a 409', async () => {
    const w = createWorker();
    const bindings = baseEnv();
    const { store } = await w.service(bindings);
    // a job asleep in its step for an hour, as while a runner works for it
    const jobId = `runner-${crypto.randomUUID()}`;
    await store.insertJob({ id: jobId, kind: 'snapshot', params: { cloud: 'dead', server: 'web' }, runAfter: Date.now() + 3_600_000 });
    const spec = newTask(jobId);
    await store.enqueueRunnerTask(spec);
    const post = (path: string, body: unknown) => call(w, bindings, path, { method: 'POST', body: JSON.stringify(body), auth: RUNNER_TOKEN });

    const claimed = await post('/v1/runner/claim', { runner: 'workerd', waitSeconds: 0 });
    expect(claimed.status).toBe(200);
    const task = Task.parse(claimed.json());
    expect(task).toMatchObject({ id: spec.id, jobId, attempt: 1, source: spec.source, clean: spec.clean, target: spec.target });
    expect((await post('/v1/runner/claim', { runner: 'workerd', waitSeconds: 0 })).status).toBe(204);

    const beat = await post(`/v1/runner/tasks/${task.id}/heartbeat`, { leaseToken: task.lease.token, phase: 'upload', bytesDone: 3, bytesTotal: 4 });
    expect(beat.json()).toMatchObject({ cancel: false });
    expect((await call(w, bindings, `/v1/jobs/${jobId}`)).json().progress).toEqual({ phase: 'upload', done: 3, total: 4 });

    const report = { leaseToken: task.lease.token, imageId: 'cleaned', bytes: 4, verified: { source: {}, target: {} }, warnings: [] };
    expect((await post(`/v1/runner/tasks/${task.id}/complete`, report)).json()).toEqual({ taskId: task.id, state: 'done' });
    const late = await post(`/v1/runner/tasks/${task.id}/fail`, {
      leaseToken: 'not-the-lease',
      code: 'upload_failed',
      message: 'm',
      retryable: true,
      phase: 'upload',
    });
    expect([late.status, late.json().error.code]).toEqual([409, 'lease_lost']);
    expect(await store.getRunnerTask(task.id)).toMatchObject({ state: 'done', result: { imageId: 'cleaned' } });
    expect((await store.listEvents(jobId)).map((e) => e.type)).toEqual(['submitted', 'runner.claimed', 'runner.done']);
  });
});
