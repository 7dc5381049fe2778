import { describe, expect, it } from 'vitest';
import { testWorker } from './worker-harness';

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
});
