import { describe, expect, it } from 'vitest';
import { Task } from '../../shared/runner/protocol';
import { newTask } from '../store/store-contract-runner-tasks';
import { RUNNER_TOKEN, testWorker } from './worker-harness';

// Runs inside workerd: the Workers entry (functions/worker.ts) on a local D1 database,
// driven through its own fetch/queue handlers as the runtime would call them.

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

const dead = (extra: Record<string, unknown> = {}, schedules?: readonly unknown[]) =>
  testWorker({ extra: { SNAPFLOW_CLOUDS: DEAD_CLOUDS, ...extra }, ...(schedules ? { schedules } : {}) });

describe('functions/worker.ts in workerd with D1', () => {
  it('serves /healthz with the D1 job table', async () => {
    const r = await testWorker({ extra: { SNAPFLOW_CLOUDS: '' } }).fetch('/healthz', { auth: false });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', mode: 'cloud', clouds: [], db: { ok: true, dialect: 'd1' } });
  });

  it('serves the OpenAPI document', async () => {
    const r = await testWorker().fetch('/openapi.json', { auth: false });
    expect(r.status).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/v1/jobs');
  });

  it('rejects a bad job body with a 400 naming the field', async () => {
    const w = dead();
    const r = await w.fetch('/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'rollback', cloud: 'prod', server: 'web', image: 'latest' }) });
    expect(r.status).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'invalid_body', field: 'confirm' });
    const anon = await w.fetch('/v1/jobs', { method: 'POST', body: '{}', auth: false });
    expect(anon.status).toBe(401);
  });

  it('answers an authorised dry run with the plan, then lists jobs', async () => {
    const w = dead();
    const dry = await w.fetch('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ kind: 'snapshot', cloud: 'prod', server: 'web', stop: true, dryRun: true }),
    });
    expect(dry.status).toBe(200);
    const body = dry.json();
    expect(body).toMatchObject({ dryRun: true, kind: 'snapshot' });
    expect(body.plan).toEqual(expect.arrayContaining(['resolve-server', 'stop-server', 'create-image', 'wait-image-active', 'start-server']));
    expect(w.queued).toEqual([]);

    const list = await w.fetch('/v1/jobs');
    expect(list.status).toBe(200);
    expect(Array.isArray(list.json().jobs)).toBe(true);
    expect((await w.fetch('/v1/jobs', { auth: false })).status).toBe(401);
  });

  it('records a clear network error for an unreachable cloud, and queues the retry with its delay', async () => {
    const w = dead();
    const sub = await w.fetch('/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'dead', server: 'web' }) });
    expect(sub.status).toBe(202);
    const { id } = sub.json();
    await w.deliver();
    const job = (await w.fetch(`/v1/jobs/${id}`)).json();
    expect(job).toMatchObject({ state: 'waiting', step: 'resolve-server' });
    const events = await w.fetch(`/v1/jobs/${id}/events`);
    const retry = events.json().events.find((e: { type: string }) => e.type === 'step.retry');
    expect(retry.data.error).toMatchObject({ code: 'openstack.network', service: 'identity' });
    expect(retry.message).toMatch(/^identity POST \/v3\/auth\/tokens: .*(network|connect)/i);
    expect(events.text).not.toContain(DEAD_PASSWORD);
    // the retry is the job's next message, due when the step's backoff says
    expect(w.queued.map((m) => m.body)).toEqual([{ jobId: id, at: retry.data.runAfter }]);

    const health = await w.fetch('/healthz', { auth: false });
    expect(health.json()).toMatchObject({ status: 'degraded', clouds: [{ name: 'dead', ok: false }] });
    expect(health.text).not.toContain(DEAD_PASSWORD);
  });

  it('a broken SNAPFLOW_CLOUDS entry makes that cloud unusable (health, 400 at submission), never the deployment', async () => {
    const clouds = JSON.parse(DEAD_CLOUDS) as Record<string, unknown>;
    clouds.prod = { auth: { auth_url: 'not a url', password: DEAD_PASSWORD } };
    const w = testWorker({ extra: { SNAPFLOW_CLOUDS: JSON.stringify(clouds) } });
    const health = await w.fetch('/healthz', { auth: false });
    expect(health.status).toBe(200);
    expect(health.json().clouds).toEqual(
      expect.arrayContaining([{ name: 'prod', ok: false, message: expect.stringMatching(/^unusable: SNAPFLOW_CLOUDS: prod\.auth\.auth_url: /) }]),
    );
    const sub = await w.fetch('/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'prod', server: 'web' }) });
    expect(sub.status).toBe(400);
    expect(sub.json().error).toMatchObject({ code: 'cloud_unusable', field: 'cloud' });
    expect(health.text + sub.text).not.toContain(DEAD_PASSWORD);
  });

  it('answers 503 naming the broken setting, never its value: SNAPFLOW_CLOUDS unreadable, no queue binding, a schedule naming no cloud', async () => {
    const notJson = await dead({ SNAPFLOW_CLOUDS: `{"prod": ${DEAD_PASSWORD}` }).fetch('/v1/jobs');
    expect(notJson.status).toBe(503);
    expect(notJson.json().error.code).toBe('misconfigured');
    expect(notJson.text).toMatch(/SNAPFLOW_CLOUDS: not valid JSON/);
    expect(notJson.text).not.toContain(DEAD_PASSWORD);
    const noQueue = await dead({ SNAPFLOW_JOBS: undefined, SNAPFLOW_TIME_SCALE: '2' }).fetch('/healthz', { auth: false });
    expect(noQueue.status).toBe(503);
    expect(noQueue.json().error.details).toEqual([
      'queue binding "SNAPFLOW_JOBS" is missing (wrangler.toml [[queues.producers]] binding = "SNAPFLOW_JOBS")',
      'SNAPFLOW_TIME_SCALE: must be a number greater than 0 and at most 1',
    ]);
    const r = await dead({}, [{ name: 'typo', cron: '@daily', target: { cloud: 'deadd', servers: ['web'] } }]).fetch('/healthz', { auth: false });
    expect(r.status).toBe(503);
    expect(r.json().error.details).toEqual(['schedules/schedules.ts: schedule "typo": target.cloud: unknown cloud "deadd" (configured clouds: dead)']);
  });

  it('serves the runner routes on D1: claim, heartbeat (progress on the job), complete; a late report is a 409', async () => {
    const t = dead();
    const { store } = await t.worker.service(t.bindings);
    // a job asleep in its step for an hour, as while a runner works for it
    const jobId = `runner-${crypto.randomUUID()}`;
    await store.insertJob({ id: jobId, kind: 'snapshot', params: { cloud: 'dead', server: 'web' }, runAfter: Date.now() + 3_600_000 });
    const spec = newTask(jobId);
    await store.enqueueRunnerTask(spec);
    const post = (path: string, body: unknown) => t.fetch(path, { method: 'POST', body: JSON.stringify(body), auth: RUNNER_TOKEN });

    const claimed = await post('/v1/runner/claim', { runner: 'workerd', waitSeconds: 0 });
    expect(claimed.status).toBe(200);
    const task = Task.parse(claimed.json());
    expect(task).toMatchObject({ id: spec.id, jobId, attempt: 1, source: spec.source, clean: spec.clean, target: spec.target });
    expect((await post('/v1/runner/claim', { runner: 'workerd', waitSeconds: 0 })).status).toBe(204);

    const beat = await post(`/v1/runner/tasks/${task.id}/heartbeat`, { leaseToken: task.lease.token, phase: 'upload', bytesDone: 3, bytesTotal: 4 });
    expect(beat.json()).toMatchObject({ cancel: false });
    expect((await t.fetch(`/v1/jobs/${jobId}`)).json().progress).toEqual({ phase: 'upload', done: 3, total: 4 });

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
