import { describe, expect, it } from 'vitest';
import { delaySecondsFor } from '../../functions/worker-job-queue';
import { type SentMessage, testWorker } from './worker-harness';

// Runs inside workerd: Cloudflare Queues as the Worker's dispatcher, on the local D1
// database, against the OpenStack simulator. Every step of a job is one queue message run
// by the real queue() consumer; the tests deliver the messages as the queue runtime would.

const submit = async (t: ReturnType<typeof testWorker>, body: Record<string, unknown>): Promise<string> => {
  const r = await t.fetch('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
  expect(r.status, r.text).toBe(202);
  return r.json().id as string;
};

const acked = (r: Awaited<ReturnType<ReturnType<typeof testWorker>['deliver']>>) => r.ackAll || r.explicitAcks.length;

describe('the job queue in workerd (D1, simulator)', () => {
  it('POST /v1/jobs answers at once and sends the first step to the queue instead of running it', async () => {
    const t = testWorker();
    const id = await submit(t, { kind: 'snapshot', cloud: 'sim', server: 'q-1' });
    expect(t.queued).toHaveLength(1);
    expect(t.queued[0]!.body).toEqual({ jobId: id, at: expect.any(Number) });
    expect(t.queued[0]!.delaySeconds).toBe(0);
    // Nothing ran in the response's event: no step, no claim.
    expect(await t.job(id)).toMatchObject({ state: 'queued', step: null, attempt: 0 });
    expect(await t.drive(id)).toMatchObject({ state: 'succeeded' });
  });

  it('the consumer runs a snapshot and then a rollback: steps due at once in the same invocation, the rest as messages delayed by whole seconds', async () => {
    const t = testWorker();
    const snap = await submit(t, { kind: 'snapshot', cloud: 'sim', server: 'q-2' });
    const done = await t.drive(snap);
    expect(done, JSON.stringify(done.error)).toMatchObject({ state: 'succeeded', result: { serverName: 'q-2' } });
    const mine = (s: SentMessage[]) => s.filter((m) => m.body.jobId === snap);
    const { store } = await t.worker.service(t.bindings);
    const events = await store.listEvents(snap);
    const stepsRun = events.filter((e) => e.type === 'claimed').length;
    // fewer messages than steps: a step due at once after a commit runs in the same invocation
    // (engine.runChain); each message is one delivery that ran a chain of steps
    expect(mine(t.sent).length).toBeGreaterThanOrEqual(1);
    expect(mine(t.sent).length).toBeLessThan(stepsRun);
    // every message is delayed until its step is due, in whole seconds rounded down (the consumer sleeps the rest)
    for (const m of mine(t.sent)) expect(m.delaySeconds).toBe(delaySecondsFor(m.body.at, m.sentAt));
    expect(events.some((e) => e.type === 'step.wait')).toBe(true);

    const rollback = await submit(t, { kind: 'rollback', cloud: 'sim', server: 'q-2', image: 'latest', confirm: true });
    const rolled = await t.drive(rollback);
    expect(rolled, JSON.stringify(rolled.error)).toMatchObject({ state: 'succeeded', result: { imageId: done.result?.imageId, status: 'ACTIVE' } });
  });

  it('acks and drops a duplicate or stale message, and sends on one that came before its job was due', async () => {
    const t = testWorker();
    const id = await submit(t, { kind: 'snapshot', cloud: 'sim', server: 'q-3' });
    const first = t.queued[0]!;
    await t.drive(id);
    const { store } = await t.worker.service(t.bindings);
    const before = (await store.listEvents(id)).length;
    // at-least-once delivery: the submission's message again, for a job long past that step
    const dup = await t.deliver([first]);
    expect(acked(dup)).toBeTruthy();
    expect(dup.retryMessages).toEqual([]);
    expect((await store.listEvents(id)).length).toBe(before);
    expect(t.queued.filter((m) => m.body.jobId === id)).toEqual([]);

    // a job waiting far beyond the queue's longest delay: its message comes early
    const far = Date.now() + 30 * 3600_000;
    const { job } = await store.insertJob({
      id: `far-${crypto.randomUUID()}`,
      kind: 'snapshot',
      params: { cloud: 'sim', server: 'q-3', stop: false, properties: {}, policy: 'manual', dryRun: false },
      runAfter: far,
    });
    const mine = () => t.queued.filter((m) => m.body.jobId === job.id);
    const early = await t.deliver([{ body: { jobId: job.id, at: far }, delaySeconds: 43_200, sentAt: Date.now() }]);
    expect(acked(early)).toBeTruthy();
    expect(mine()).toEqual([{ body: { jobId: job.id, at: far }, delaySeconds: 43_200, sentAt: expect.any(Number) }]);
    // a message for another due time than the job's is stale: dropped, not sent on
    t.queued.splice(t.queued.indexOf(mine()[0]!), 1);
    await t.deliver([{ body: { jobId: job.id, at: far - 5_000 }, delaySeconds: 0, sentAt: Date.now() }]);
    expect(mine()).toEqual([]);
    expect(await t.job(job.id)).toMatchObject({ state: 'queued', attempt: 0 });
    // (cancelled so that no later hand-over picks it up)
    expect((await t.fetch(`/v1/jobs/${job.id}/cancel`, { method: 'POST' })).json()).toMatchObject({ state: 'cancelled' });
  });

  it('a lost message: the safety tick runs the job, and its next step goes to the queue again', async () => {
    const t = testWorker();
    const id = await submit(t, { kind: 'snapshot', cloud: 'sim', server: 'q-4' });
    t.queued.length = 0; // the message is lost
    const summary = await t.cron('* * * * *');
    expect(summary.ran).toContainEqual(expect.objectContaining({ jobId: id, step: 'resolve-server', type: 'step.done', state: 'queued' }));
    expect(t.queued.filter((m) => m.body.jobId === id)).toHaveLength(1);
    expect(await t.drive(id)).toMatchObject({ state: 'succeeded' });
  });

  it('a message whose processing fails is retried by the queue; a dead-lettered one is logged and acked', async () => {
    let failing = false;
    const t = testWorker();
    const realDb = t.bindings.DB!;
    // D1 out of reach while the message is processed (the edge: the binding itself)
    t.bindings.DB = {
      prepare: (sql: string) => {
        if (failing) throw new Error('D1_ERROR: simulated outage');
        return realDb.prepare(sql);
      },
      batch: (s) => (failing ? Promise.reject(new Error('D1_ERROR: simulated outage')) : realDb.batch(s)),
    };
    const id = await submit(t, { kind: 'snapshot', cloud: 'sim', server: 'q-5' });
    failing = true;
    const r = await t.deliver(undefined, 2);
    failing = false;
    expect(r.explicitAcks).toEqual([]);
    expect(r.retryMessages.map((m) => m.msgId)).toHaveLength(1);
    expect(await t.job(id)).toMatchObject({ state: 'queued', step: null });

    const logged: string[] = [];
    const errors = console.error;
    console.error = (line: string) => void logged.push(line);
    try {
      const { createMessageBatch, createExecutionContext, getQueueResult } = await import('cloudflare:test');
      const batch = createMessageBatch('snapflow-jobs-dlq', [{ id: 'dead-1', timestamp: new Date(), attempts: 4, body: { jobId: id, at: Date.now() } }]);
      const ctx = createExecutionContext();
      await t.worker.queue(batch, t.bindings, ctx);
      const dlq = await getQueueResult(batch, ctx);
      expect(dlq.explicitAcks).toEqual(['dead-1']);
    } finally {
      console.error = errors;
    }
    expect(logged.join('\n')).toMatch(new RegExp(`dead-lettered.*"jobId":"${id}".*"state":"queued"`));
    // the job itself is untouched and still runs when its next message (or the tick) comes
    await t.cron('* * * * *');
    expect(await t.drive(id)).toMatchObject({ state: 'succeeded' });
  });

  it('drops a message that is not a job message, naming the field', async () => {
    const t = testWorker();
    const logged: string[] = [];
    const errors = console.error;
    console.error = (line: string) => void logged.push(line);
    try {
      const r = await t.deliver([{ body: { jobId: '', at: 'soon' } as never, delaySeconds: 0, sentAt: Date.now() }]);
      expect(acked(r)).toBeTruthy();
    } finally {
      console.error = errors;
    }
    expect(logged.join('\n')).toMatch(/not a job message.*jobId: .*at: /);
  });
});
