import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { HOOK_ENV, hookConfig, SECRETS } from '../hooks/hook-config';
import { type Delivery, generic } from '../hooks/payloads';
import { githubWorkflowRun } from '../hooks/payloads-github';
import { gitlabPipeline } from '../hooks/payloads-gitlab';
import { type TestWorker, testWorker } from './worker-harness';

// CI webhooks inside workerd: the Workers entry on a local D1 database and its job queue,
// against the simulator (sim-global-setup.ts). GitLab's token and the HMAC signatures are
// checked with WebCrypto, deliveries are idempotent in D1, and a pipeline's end rolls the
// server back to the image its start made, queued behind that snapshot.

const SERVER = 'q-hooks';

const hooked = () => testWorker({ extra: { SNAPFLOW_CONFIG_JSON: JSON.stringify(hookConfig('sim', SERVER)), ...HOOK_ENV } });

async function deliver(t: TestWorker, provider: string, d: Delivery) {
  const req = new Request(`https://snapflow.example/v1/hooks/${provider}`, { method: 'POST', headers: d.headers, body: d.body });
  const res = await t.worker.fetch(req, t.bindings, createExecutionContext());
  const text = await res.text();
  await t.settle();
  return { status: res.status, text, body: JSON.parse(text) as any };
}

describe('CI webhooks in workerd with D1', () => {
  it('GitLab: the start snapshots, a redelivery gets the same answer, the end rolls back to that very image', async () => {
    const t = hooked();
    const start = gitlabPipeline({ token: SECRETS.gitlab, id: 501, status: 'running' });
    const first = await deliver(t, 'gitlab', start);
    expect(first.status).toBe(202);
    expect(first.body.jobs).toEqual([expect.objectContaining({ rule: 'reference', kind: 'snapshot', cloud: 'sim', server: SERVER })]);
    const again = await deliver(t, 'gitlab', start);
    expect(again.text).toBe(first.text);

    // The end arrives while the snapshot still runs: the rollback queues behind it.
    const end = await deliver(t, 'gitlab', gitlabPipeline({ token: SECRETS.gitlab, id: 501, status: 'canceled' }));
    expect(end.status).toBe(202);
    expect(end.body.jobs).toEqual([expect.objectContaining({ rule: 'restore', kind: 'rollback' })]);
    const rollbackId = end.body.jobs[0].id as string;
    const snapshotId = first.body.jobs[0].id as string;
    const queued = await t.job(rollbackId);
    expect(queued.params).toMatchObject({ imageFromJob: snapshotId });
    expect(queued.lockKey).toBe((await t.job(snapshotId)).lockKey);

    const snapshot = await t.drive(snapshotId);
    const rollback = await t.drive(rollbackId);
    expect(snapshot.state).toBe('succeeded');
    expect(rollback.state).toBe('succeeded');
    expect(rollback.result?.imageId).toBe(snapshot.result?.imageId);
    expect(JSON.stringify([snapshot, rollback])).not.toContain(SECRETS.gitlab);

    const wrong = await deliver(t, 'gitlab', gitlabPipeline({ token: 'wrong-token', id: 502, status: 'running' }));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'bad_token', field: 'X-Gitlab-Token' });
  });

  it('GitHub: X-Hub-Signature-256 verified with WebCrypto; a forged one is a 401', async () => {
    const t = hooked();
    const ok = await deliver(t, 'github', githubWorkflowRun({ secret: SECRETS.github, action: 'in_progress', runId: 77 }));
    expect(ok.status).toBe(202);
    expect(ok.body.jobs).toEqual([expect.objectContaining({ rule: 'reference', kind: 'snapshot' })]);
    const forged = await deliver(t, 'github', githubWorkflowRun({ secret: 'not-the-secret', action: 'in_progress', runId: 78 }));
    expect(forged.status).toBe(401);
    expect(forged.body.error.field).toBe('X-Hub-Signature-256');
  });

  it('generic: a fresh signature is accepted, one outside the replay window is a 401', async () => {
    const t = hooked();
    const body = { event: 'deploy', status: 'started', project: 'ops/site', ref: 'v2' };
    const ok = await deliver(t, 'generic', generic({ secret: SECRETS.generic, body }));
    expect(ok.status).toBe(202);
    expect(ok.body.jobs).toHaveLength(1);
    const stale = await deliver(t, 'generic', generic({ secret: SECRETS.generic, body, at: Date.now() - 3_600_000 }));
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatchObject({ code: 'replay_window', field: 'X-Snapflow-Timestamp' });
  });
});
