import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine, JobQueue } from '../../shared/engine/engine';
import { done, wait } from '../../shared/engine/results';
import type { JobStore } from '../../shared/jobs/types';
import { type Clock, engineFor, manualClock, STORES } from './harness';

// An engine given a queue (Workers: a Cloudflare Queue) sends every chained step and every
// wake-up there with its due time, and runs nothing of it itself; only a job it already
// holds (claimed by a hand-over) still starts through `dispatch`.

function step(name: string, run: AnyStep['run']): AnyStep {
  return defineStep({ name, retry: { maxAttempts: 2, baseMs: 10, maxMs: 10, factor: 1 }, timeout: 5_000, run });
}

interface Sent {
  jobId: string;
  at: number;
}

function recordingQueue(fail = false): JobQueue & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    async send(jobId, at) {
      if (fail) throw new Error('queue unavailable');
      sent.push({ jobId, at });
    },
  };
}

describe.each(STORES)('engine with a job queue ($name store)', (factory) => {
  let clock: Clock;
  let store: JobStore;
  let dispose: () => Promise<void>;
  let engine: Engine | undefined;

  beforeEach(async () => {
    clock = manualClock();
    ({ store, dispose } = await factory.open(clock));
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await dispose();
  });

  const polls = { n: 0 };
  const wf = defineWorkflow({
    kind: 'poll',
    params: z.object({ server: z.string() }),
    lockKey: (p) => `srv/${p.server}`,
    steps: [
      step('start', () => done()),
      step('poll', () => (++polls.n < 2 ? wait({ after: 1_500, reason: 'not yet' }) : done())),
      step('finish', () => done()),
    ],
  });

  it('sends the submission, each chained step and each wake-up with its due time; runs none of them itself', async () => {
    polls.n = 0;
    const queue = recordingQueue();
    const dispatched: string[] = [];
    engine = engineFor(store, clock, { workflows: [wf], queue, dispatch: (id) => void dispatched.push(id) });
    const { job } = await engine.submit('poll', { server: 'a' });
    await engine.drain();
    expect(queue.sent).toEqual([{ jobId: job.id, at: clock.now() }]);
    expect((await store.getJob(job.id))?.state).toBe('queued');

    // the consumer's part: one runOnce per message, when it is due
    const consume = async () => {
      const m = queue.sent.shift()!;
      clock.set(Math.max(clock.now(), m.at));
      return engine!.runOnce(m.jobId);
    };
    expect(await consume()).toMatchObject({ step: 'start', type: 'step.done' });
    await engine.drain();
    expect(queue.sent).toEqual([{ jobId: job.id, at: clock.now() }]);
    expect(await consume()).toMatchObject({ step: 'poll', type: 'step.wait', state: 'waiting' });
    await engine.drain();
    expect(queue.sent).toEqual([{ jobId: job.id, at: clock.now() + 1_500 }]);
    expect(await consume()).toMatchObject({ step: 'poll', type: 'step.done' });
    await engine.drain();
    expect(await consume()).toMatchObject({ step: 'finish', state: 'succeeded' });
    await engine.drain();
    expect(queue.sent).toEqual([]);
    expect(dispatched).toEqual([]);
  });

  it('a job its commit hands over still runs here, through dispatch; its next step goes to the queue', async () => {
    const queue = recordingQueue();
    const local: Promise<unknown>[] = [];
    engine = engineFor(store, clock, { workflows: [wf], queue, dispatch: (_id, run) => void local.push(run()) });
    polls.n = 1; // every poll is done at once
    const first = (await engine.submit('poll', { server: 'b' })).job;
    const second = (await engine.submit('poll', { server: 'b' })).job; // queued behind the lock
    await engine.drain();
    queue.sent.length = 0;
    for (;;) {
      const out = await engine.runOnce(first.id);
      if (!out || out.state === 'succeeded') break;
      polls.n = 1;
    }
    await Promise.all(local);
    await engine.drain();
    // the last commit of the first job claimed the second and ran its first step here
    expect(local).toHaveLength(1);
    expect((await store.getJob(second.id))?.step).toBe('poll');
    expect(queue.sent.filter((m) => m.jobId === second.id)).toEqual([{ jobId: second.id, at: expect.any(Number) }]);
  });

  it("a freed project slot goes at once to that project's queued job, not to an older due job that has its own message", async () => {
    const polled = new Set<string>();
    const nightly = defineWorkflow({
      kind: 'nightly',
      params: z.object({ project: z.string(), n: z.number() }),
      concurrency: (p) => ({ key: `project:${p.project}`, limit: 1 }),
      // each job waits once, so a started job is due again when another job ends
      steps: [step('snap', (ctx) => (polled.has(ctx.job.id) ? done() : (polled.add(ctx.job.id), wait({ after: 1_000, reason: 'image' }))))],
    });
    const queue = recordingQueue();
    const local: string[] = [];
    const runs: Promise<unknown>[] = [];
    engine = engineFor(store, clock, { workflows: [nightly], queue, dispatch: (id, run) => void (local.push(id), runs.push(run())) });
    const a1 = (await engine.submit('nightly', { project: 'a', n: 1 })).job;
    const b1 = (await engine.submit('nightly', { project: 'b', n: 1 })).job;
    const a2 = (await engine.submit('nightly', { project: 'a', n: 2 })).job;
    // a1 goes to sleep and hands over to b1 (never started, its project free); a2 waits for a's slot
    expect(await engine.runOnce(a1.id)).toMatchObject({ state: 'waiting' });
    await Promise.all(runs);
    expect(local).toEqual([b1.id]);
    expect((await store.getJob(b1.id))?.state).toBe('waiting');
    clock.set(clock.now() + 2_000); // a1 and b1 are due; b1's message is on its way
    expect(await engine.runOnce(a1.id)).toMatchObject({ state: 'succeeded' });
    await Promise.all(runs);
    await engine.drain();
    expect(local).toEqual([b1.id, a2.id]);
    expect((await store.getJob(a2.id))?.state).toBe('waiting');
    expect((await store.getJob(b1.id))?.state).toBe('waiting');
  });

  it('a message that cannot be sent is logged and waits for the tick; drain does not hang on it', async () => {
    const warnings: string[] = [];
    engine = engineFor(store, clock, {
      workflows: [wf],
      queue: recordingQueue(true),
      log: { info: () => {}, warn: (m) => void warnings.push(m), error: () => {} },
    });
    const { job } = await engine.submit('poll', { server: 'c' });
    await engine.drain(1_000);
    expect(warnings).toEqual(['could not queue the next step; the safety tick runs it']);
    const ran = await engine.tick();
    expect(ran.map((r) => [r.jobId, r.step])).toEqual([[job.id, 'start']]);
  });

  it('runChain runs the following steps in the same call while they are due at once or within sleepUpToMs; the rest goes to the queue', async () => {
    polls.n = 0;
    const queue = recordingQueue();
    engine = engineFor(store, clock, { workflows: [wf], queue });
    const { job } = await engine.submit('poll', { server: 'c' });
    await engine.drain();
    queue.sent.length = 0;
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
    };
    // the poll's 1.5 s wait is longer than the budget's sleep: start and poll run, the wake-up is sent
    expect(await engine.runChain(job.id, { untilMs: clock.now() + 60_000, sleepUpToMs: 1_000, sleep })).toMatchObject({ step: 'start' });
    await engine.drain();
    expect((await store.getJob(job.id))?.step).toBe('poll');
    expect(queue.sent).toEqual([{ jobId: job.id, at: clock.now() + 1_500 }]);
    expect(slept).toEqual([]);
    // a budget that sleeps 2 s: the wait is slept here and the job ends in this one call, nothing sent
    queue.sent.length = 0;
    polls.n = 0;
    const other = (await engine.submit('poll', { server: 'd' })).job;
    await engine.drain();
    queue.sent.length = 0;
    await engine.runChain(other.id, { untilMs: clock.now() + 60_000, sleepUpToMs: 2_000, sleep });
    await engine.drain();
    expect((await store.getJob(other.id))?.state).toBe('succeeded');
    expect(slept).toEqual([1_502]);
    expect(queue.sent).toEqual([]);
    // past the deadline nothing more runs here: the next step is a message
    polls.n = 1;
    const third = (await engine.submit('poll', { server: 'e' })).job;
    await engine.drain();
    queue.sent.length = 0;
    await engine.runChain(third.id, { untilMs: clock.now(), sleep });
    await engine.drain();
    expect((await store.getJob(third.id))?.step).toBe('poll');
    expect(queue.sent).toEqual([{ jobId: third.id, at: clock.now() }]);
  });
});
