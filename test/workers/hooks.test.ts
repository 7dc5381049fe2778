import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createWorker } from '../../functions/worker-handlers';
import type { WorkerEnv } from '../../functions/worker-types';
import { HOOK_ENV, hookConfig, SECRETS } from '../hooks/hook-config';
import { type Delivery, generic } from '../hooks/payloads';
import { githubWorkflowRun } from '../hooks/payloads-github';
import { gitlabPipeline } from '../hooks/payloads-gitlab';

// CI webhooks inside workerd: the Workers entry on a local D1 database verifies GitLab's
// token and the HMAC signatures with WebCrypto, keeps deliveries idempotent in D1, and
// queues a pipeline end's rollback behind the snapshot its start made. The cloud is
// unreachable (nothing listens on 127.0.0.1:9): the jobs are queued, never run to the end.

const DEAD_CLOUDS = JSON.stringify({
  dead: {
    auth: {
      auth_url: 'http://127.0.0.1:9/v3',
      username: 'snapflow',
      password: 'dead-cloud-password',
      user_domain_name: 'Default',
      project_name: 'demo',
      project_domain_name: 'Default',
    },
  },
});

const bindings = (): WorkerEnv => ({
  DB: env.DB,
  SNAPFLOW_TOKENS: JSON.stringify([]),
  SNAPFLOW_CLOUDS: DEAD_CLOUDS,
  SNAPFLOW_CONFIG_JSON: JSON.stringify(hookConfig('dead', 'web')),
  ...HOOK_ENV,
});

async function deliver(worker: ReturnType<typeof createWorker>, provider: string, d: Delivery) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://snapflow.example/v1/hooks/${provider}`, { method: 'POST', headers: d.headers, body: d.body }),
    bindings(),
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, text, body: JSON.parse(text) as any };
}

describe('CI webhooks in workerd with D1', () => {
  it('GitLab: the start queues a snapshot, a redelivery gets the same answer, the end queues a rollback behind it', async () => {
    const w = createWorker();
    const start = gitlabPipeline({ token: SECRETS.gitlab, id: 501, status: 'running' });
    const first = await deliver(w, 'gitlab', start);
    expect(first.status).toBe(202);
    expect(first.body.jobs).toEqual([expect.objectContaining({ rule: 'reference', kind: 'snapshot', cloud: 'dead', server: 'web' })]);
    const again = await deliver(w, 'gitlab', start);
    expect(again.text).toBe(first.text);

    const end = await deliver(w, 'gitlab', gitlabPipeline({ token: SECRETS.gitlab, id: 501, status: 'canceled' }));
    expect(end.status).toBe(202);
    expect(end.body.jobs).toEqual([expect.objectContaining({ rule: 'restore', kind: 'rollback' })]);
    const { store } = await w.service(bindings());
    const snapshot = await store.getJob(first.body.jobs[0].id);
    const rollback = await store.getJob(end.body.jobs[0].id);
    expect(rollback?.params).toMatchObject({ imageFromJob: snapshot?.id });
    // Same lock as the snapshot: the rollback runs only after it, and was not refused.
    expect(rollback?.lockKey).toBe(snapshot?.lockKey);
    expect(rollback?.state).toBe('queued');
    expect(JSON.stringify([snapshot, rollback])).not.toContain(SECRETS.gitlab);

    const wrong = await deliver(w, 'gitlab', gitlabPipeline({ token: 'wrong-token', id: 502, status: 'running' }));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'bad_token', field: 'X-Gitlab-Token' });
  });

  it('GitHub: X-Hub-Signature-256 verified with WebCrypto; a forged one is a 401', async () => {
    const w = createWorker();
    const ok = await deliver(w, 'github', githubWorkflowRun({ secret: SECRETS.github, action: 'in_progress', runId: 77 }));
    expect(ok.status).toBe(202);
    expect(ok.body.jobs).toEqual([expect.objectContaining({ rule: 'reference', kind: 'snapshot' })]);
    const forged = await deliver(w, 'github', githubWorkflowRun({ secret: 'not-the-secret', action: 'in_progress', runId: 78 }));
    expect(forged.status).toBe(401);
    expect(forged.body.error.field).toBe('X-Hub-Signature-256');
  });

  it('generic: a fresh signature is accepted, one outside the replay window is a 401', async () => {
    const w = createWorker();
    const body = { event: 'deploy', status: 'started', project: 'ops/site', ref: 'v2' };
    const ok = await deliver(w, 'generic', generic({ secret: SECRETS.generic, body }));
    expect(ok.status).toBe(202);
    expect(ok.body.jobs).toHaveLength(1);
    const stale = await deliver(w, 'generic', generic({ secret: SECRETS.generic, body, at: Date.now() - 3_600_000 }));
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatchObject({ code: 'replay_window', field: 'X-Snapflow-Timestamp' });
  });
});
