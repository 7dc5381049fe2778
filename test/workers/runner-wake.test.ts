import { describe, expect, it } from 'vitest';
import { CLEAN_KIND, type CleanParams, cleanWorkflow } from '../../bench/lib/clean-workflow';
import { Task } from '../../shared/runner/protocol';
import { RUNNER_TOKEN, testWorker } from './worker-harness';

// Runs inside workerd: a runner's report, made through the runner routes of the Worker, wakes
// the job whose clean-image step waits for it. The wake-up is a queue message due at once, and
// the consumer runs the step from that message, not from the step's own poll, minutes later.

// well inside the workflow's deadline, far beyond anything the test waits for
const POLL_MS = 600_000;

describe('runner wake-ups through the job queue (workerd, D1, simulator)', () => {
  it("a runner's complete sends the waiting job a message due now; the consumer runs its next step from it", async () => {
    const t = testWorker({
      // unscaled: the step's poll is minutes away, so only the wake-up can end the wait in time
      extra: { SNAPFLOW_TIME_SCALE: '1' },
      workflows: (deps, runner) => [cleanWorkflow(deps, runner, { wait: { baseMs: POLL_MS, maxMs: POLL_MS } })],
    });
    const { service, store } = await t.worker.service(t.bindings);
    const snap = await t.fetch('/v1/jobs', { method: 'POST', body: JSON.stringify({ kind: 'snapshot', cloud: 'sim', server: 'q-runner-1' }) });
    expect(snap.status, snap.text).toBe(202);
    const image = await t.drive(snap.json().id, 60_000);
    expect(image, JSON.stringify(image.error)).toMatchObject({ state: 'succeeded' });

    const params: CleanParams = {
      cloud: 'sim',
      server: 'q-runner-1',
      imageId: String(image.result?.imageId),
      targetCloud: 'sim',
      targetName: 'q-runner-1-clean',
    };
    const { job } = await service.engine.submit(CLEAN_KIND, params);
    await service.engine.drain();
    await t.deliver(t.queued.filter((m) => m.body.jobId === job.id));
    expect(await t.job(job.id)).toMatchObject({ state: 'waiting', step: 'clean-image' });
    const poll = t.queued.filter((m) => m.body.jobId === job.id);
    // the poll is due POLL_MS after the commit, sent a few ms after it: rounded down, one second less
    expect(poll).toEqual([{ body: { jobId: job.id, at: expect.any(Number) }, delaySeconds: expect.any(Number), sentAt: expect.any(Number) }]);
    expect(poll[0]!.delaySeconds).toBeGreaterThanOrEqual(POLL_MS / 1_000 - 1);
    expect(poll[0]!.delaySeconds).toBeLessThanOrEqual(POLL_MS / 1_000);

    const post = (path: string, body: unknown) => t.fetch(path, { method: 'POST', body: JSON.stringify(body), auth: RUNNER_TOKEN });
    const claimed = await post('/v1/runner/claim', { runner: 'workerd', waitSeconds: 0 });
    expect(claimed.status, claimed.text).toBe(200);
    const task = Task.parse(claimed.json());
    expect(task).toMatchObject({ jobId: job.id, source: { imageId: params.imageId } });
    const report = { leaseToken: task.lease.token, imageId: 'cleaned-image', bytes: 7, verified: { source: {}, target: {} }, warnings: [] };
    const beforeComplete = Date.now();
    const complete = await post(`/v1/runner/tasks/${task.id}/complete`, report);
    expect(complete.json(), complete.text).toEqual({ taskId: task.id, state: 'done' });

    // the complete ended the wait in D1 and sent the job a message due now
    const woken = await t.job(job.id);
    expect(woken.state).toBe('waiting');
    expect(woken.runAfter).toBeGreaterThanOrEqual(beforeComplete);
    expect(woken.runAfter).toBeLessThanOrEqual(Date.now());
    const wake = t.queued.filter((m) => m.body.jobId === job.id && !poll.includes(m));
    expect(wake).toEqual([{ body: { jobId: job.id, at: expect.any(Number) }, delaySeconds: 0, sentAt: expect.any(Number) }]);
    expect(wake[0]!.body.at).toBeLessThanOrEqual(Date.now());

    // the consumer claims the job from that message at once and the step ends with the image
    await t.deliver(wake);
    expect(await t.job(job.id)).toMatchObject({ state: 'succeeded', result: { imageId: 'cleaned-image', bytes: 7 } });
    const events = (await store.listEvents(job.id)).map((e) => e.type);
    expect(events.filter((e) => e === 'claimed')).toHaveLength(2);
    expect(events).toContain('runner.done');

    // the poll's message, when it comes, finds the job finished and is dropped
    const late = await t.deliver(poll);
    expect(late.retryMessages).toEqual([]);
    expect(t.queued.filter((m) => m.body.jobId === job.id)).toEqual([]);
  });
});
