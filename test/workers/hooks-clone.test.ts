import { describe, expect, it } from 'vitest';
import { Task } from '../../shared/runner/protocol';
import { cloneHookConfig, HOOK_ENV, SECRETS } from '../hooks/hook-config';
import { gitlabPipeline } from '../hooks/payloads-gitlab';
import { RUNNER_TOKEN, type TestWorker, testWorker } from './worker-harness';

// The clone-for-the-run webhook inside workerd (D1, the job queue, the simulator): a GitLab
// pipeline's start clones a fresh server, its end discards it. workerd runs no runner
// process: this test answers the clone's runner task through the runner routes, as a runner
// would, handing back the snapshot as the "cleaned" image (the cleaning itself is the Node
// suites' subject, test/cmr/).

const hooked = () => testWorker({ extra: { SNAPFLOW_CONFIG_JSON: JSON.stringify(cloneHookConfig('sim', 'q-clone', 'sim')), ...HOOK_ENV } });

async function deliver(t: TestWorker, id: number, status: string) {
  const d = gitlabPipeline({ token: SECRETS.gitlab, id, status });
  const r = await t.fetch('/v1/hooks/gitlab', { method: 'POST', auth: false, headers: d.headers, body: d.body });
  return { status: r.status, body: r.json() };
}

/** Runs the job's queue messages until its runner task can be claimed, then completes the task. */
async function actAsRunner(t: TestWorker, jobId: string): Promise<void> {
  const post = (path: string, body: unknown) => t.fetch(path, { method: 'POST', body: JSON.stringify(body), auth: RUNNER_TOKEN });
  const end = Date.now() + 20_000;
  for (;;) {
    const claimed = await post('/v1/runner/claim', { runner: 'workerd', waitSeconds: 0 });
    if (claimed.status === 200) {
      const task = Task.parse(claimed.json());
      expect(task.jobId).toBe(jobId);
      const report = { leaseToken: task.lease.token, imageId: task.source.imageId, bytes: 1, verified: { source: {}, target: {} }, warnings: [] };
      expect((await post(`/v1/runner/tasks/${task.id}/complete`, report)).status).toBe(200);
      return;
    }
    if (Date.now() > end) throw new Error(`no runner task of job ${jobId}: ${(await t.job(jobId)).step}`);
    const due = t.queued.filter((m) => m.body.at <= Date.now());
    if (due.length > 0) await t.deliver(due);
    else await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a fresh clone per pipeline, in workerd with D1', () => {
  it('the start clones ci-<pipeline id>, the end discards exactly that server', async () => {
    const t = hooked();
    const start = await deliver(t, 601, 'running');
    expect(start.status).toBe(202);
    expect(start.body.jobs).toEqual([expect.objectContaining({ rule: 'fresh-vm', kind: 'clone', server: 'q-clone' })]);
    const cloneId = start.body.jobs[0].id as string;

    await actAsRunner(t, cloneId);
    const end = await deliver(t, 601, 'success');
    expect(end.body.jobs).toEqual([expect.objectContaining({ rule: 'cleanup', kind: 'discard', cloud: 'sim', server: 'ci-601' })]);
    const discardId = end.body.jobs[0].id as string;
    expect((await t.job(discardId)).lockKey).toBe((await t.job(cloneId)).lockKey);
    // another delivery saying the pipeline ended: the same discard
    expect((await deliver(t, 601, 'success')).body.jobs.map((j: { id: string }) => j.id)).toEqual([discardId]);

    const clone = await t.drive(cloneId);
    expect(clone.state, JSON.stringify(clone.error)).toBe('succeeded');
    const made = clone.result?.newServer as { id: string; name: string };
    expect(made.name).toBe('ci-601');
    const discard = await t.drive(discardId);
    expect(discard.state, JSON.stringify(discard.error)).toBe('succeeded');
    expect(discard.result).toMatchObject({ cloneJobId: cloneId, deleted: true, server: { id: made.id, name: 'ci-601' } });
    const gone = await t.fetch(`/v1/jobs`, { method: 'POST', body: JSON.stringify({ kind: 'discard', cloud: 'sim', server: made.id, confirm: true }) });
    expect(gone.status).toBe(404);
  });
});
