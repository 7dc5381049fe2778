import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import { NonRetryableError, RetryAfterError } from '../../shared/engine/errors';
import { done, fail, retry, wait } from '../../shared/engine/results';
import type { JobStore } from '../../shared/jobs/types';
import { type Clock, engineFor, FakeCloud, manualClock, STORES } from './harness';

const retryPolicy = { maxAttempts: 3, baseMs: 1000, maxMs: 8000, factor: 2 };

function step(name: string, run: AnyStep['run'], extra: Partial<AnyStep> = {}): AnyStep {
  return defineStep({ name, retry: retryPolicy, timeout: 5_000, run, ...extra });
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly requestId: string,
    readonly retryAfter?: number,
  ) {
    super(`compute ${status}`);
  }
  readonly service = 'compute';
}

describe.each(STORES)('engine failures ($name store)', (factory) => {
  let clock: Clock;
  let store: JobStore;
  let dispose: () => Promise<void>;
  const engines: Engine[] = [];
  const make = (over: Parameters<typeof engineFor>[2]): Engine => {
    const e = engineFor(store, clock, { dispatch: () => {}, ...over });
    engines.push(e);
    return e;
  };

  beforeEach(async () => {
    clock = manualClock();
    ({ store, dispose } = await factory.open(clock));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    await dispose();
  });

  it('retries retryable errors with the backoff formula, then fails with the last error', async () => {
    let calls = 0;
    const wf = defineWorkflow({
      kind: 'r',
      params: z.object({}),
      steps: [
        step('flaky', () => {
          calls++;
          throw new ApiError(503, `req-${calls}`);
        }),
      ],
    });
    // random() = 0.5: delays are half of min(maxMs, 1000 * 2^(attempt-1))
    const engine = make({ workflows: [wf] });
    const { job } = await engine.submit('r', {});
    const seen: [number, number][] = [];
    for (let i = 0; i < 2; i++) {
      expect(await engine.runOnce(job.id)).toMatchObject({ type: 'step.retry', state: 'waiting' });
      const j = (await store.getJob(job.id))!;
      seen.push([j.attempt, j.runAfter - clock.now()]);
      clock.set(j.runAfter);
    }
    expect(seen).toEqual([
      [2, 500],
      [3, 1000],
    ]);
    expect(await engine.runOnce(job.id)).toMatchObject({ type: 'step.failed', state: 'failed' });
    expect(calls).toBe(3);
    const j = (await store.getJob(job.id))!;
    expect(j.error).toEqual({ code: 'http_503', message: 'compute 503', status: 503, service: 'compute', requestId: 'req-3', step: 'flaky' });
    const retries = (await store.listEvents(job.id)).filter((e) => e.type === 'step.retry');
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('fails at once on non-retryable errors and fail() results', async () => {
    const wf = defineWorkflow({
      kind: 'f',
      params: z.object({ how: z.enum(['404', 'nonretry', 'fail']) }),
      steps: [
        step('s', (ctx) => {
          const how = (ctx.params as { how: string }).how;
          if (how === '404') throw new ApiError(404, 'req-x');
          if (how === 'nonretry') throw new NonRetryableError('bad image', { code: 'bad_image' });
          return fail(new Error('decided to stop'));
        }),
      ],
    });
    const engine = make({ workflows: [wf] });
    for (const [how, code] of [
      ['404', 'http_404'],
      ['nonretry', 'bad_image'],
      ['fail', 'failed'],
    ] as const) {
      const { job } = await engine.submit('f', { how });
      expect(await engine.runOnce(job.id)).toMatchObject({ state: 'failed' });
      expect((await store.getJob(job.id))!.error).toMatchObject({ code, step: 's' });
    }
  });

  it('honours Retry-After and retry(err, afterMs) as floors', async () => {
    let n = 0;
    const wf = defineWorkflow({
      kind: 'ra',
      params: z.object({}),
      steps: [
        step(
          's',
          () => {
            n++;
            if (n === 1) throw new ApiError(429, 'r1', 20);
            if (n === 2) throw new RetryAfterError(15_000);
            if (n === 3) return retry(new Error('not yet'), 9_000);
            return done();
          },
          { retry: { maxAttempts: 10, baseMs: 100, maxMs: 1000, factor: 2 } },
        ),
      ],
    });
    const engine = make({ workflows: [wf] });
    const { job } = await engine.submit('ra', {});
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await engine.runOnce(job.id);
      const j = (await store.getJob(job.id))!;
      delays.push(j.runAfter - clock.now());
      clock.set(j.runAfter);
    }
    expect(delays).toEqual([20_000, 15_000, 9_000]);
    expect(await engine.runOnce(job.id)).toMatchObject({ state: 'succeeded' });
  });

  it('fails a wait that would pass the deadline, naming the step and the reason', async () => {
    const wf = defineWorkflow({
      kind: 'd',
      params: z.object({}),
      deadlineMs: 10_000,
      steps: [step('waitActive', () => wait({ after: 4_000, reason: 'server ACTIVE' }))],
    });
    const engine = make({ workflows: [wf] });
    const { job } = await engine.submit('d', {});
    expect(job.deadline).toBe(clock.now() + 10_000);
    await engine.runOnce(job.id); // waits 4 s
    clock.advance(4_000);
    await engine.runOnce(job.id); // 8 s more would pass the deadline
    const j = (await store.getJob(job.id))!;
    expect(j.state).toBe('failed');
    expect(j.error).toMatchObject({ code: 'deadline_exceeded', step: 'waitActive' });
    expect(j.error!.message).toContain('server ACTIVE');
  });

  it('fails a job claimed past its deadline and a retry that cannot fit before it', async () => {
    const wf = defineWorkflow({
      kind: 'd2',
      params: z.object({}),
      deadlineMs: 3_000,
      steps: [
        step(
          's',
          () => {
            throw new ApiError(500, 'req-late');
          },
          { retry: { baseMs: 10_000, maxMs: 10_000, factor: 1, maxAttempts: 5 } },
        ),
      ],
    });
    const engine = make({ workflows: [wf] });
    const late = await engine.submit('d2', {});
    clock.advance(3_000);
    await engine.runOnce(late.job.id);
    expect((await store.getJob(late.job.id))!.error).toMatchObject({ code: 'deadline_exceeded', step: 's' });

    const early = await engine.submit('d2', {});
    await engine.runOnce(early.job.id); // delay 5 s > 3 s left: fail now with the last error
    expect((await store.getJob(early.job.id))!).toMatchObject({ state: 'failed', error: { code: 'http_500', requestId: 'req-late' } });
  });

  it('aborts a step at its timeout through ctx.signal and retries it', async () => {
    let aborted: unknown = null;
    let n = 0;
    const wf = defineWorkflow({
      kind: 'to',
      params: z.object({}),
      steps: [
        step(
          'slow',
          (ctx) => {
            n++;
            if (n === 1) {
              return new Promise((_, reject) =>
                ctx.signal.addEventListener('abort', () => {
                  aborted = ctx.signal.reason;
                  reject(ctx.signal.reason);
                }),
              );
            }
            // the second attempt ignores its signal entirely: the engine still moves on
            if (n === 2) return new Promise(() => {});
            return done();
          },
          { timeout: 30, retry: { maxAttempts: 5, baseMs: 0, maxMs: 0, factor: 1 } },
        ),
      ],
    });
    const engine = make({ workflows: [wf] });
    const { job } = await engine.submit('to', {});
    expect(await engine.runOnce(job.id)).toMatchObject({ type: 'step.retry' });
    expect(aborted).toMatchObject({ name: 'StepTimeoutError', code: 'timeout', retryable: true });
    expect(await engine.runOnce(job.id)).toMatchObject({ type: 'step.retry' });
    expect(await engine.runOnce(job.id)).toMatchObject({ state: 'succeeded' });
    const retries = (await store.listEvents(job.id)).filter((e) => e.type === 'step.retry');
    expect(retries.map((e) => (e.data as { error: { code: string } }).error.code)).toEqual(['timeout', 'timeout']);
  });

  it('discards the result of a handler that lost its lease', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const wf = defineWorkflow({
      kind: 'll',
      params: z.object({}),
      steps: [
        step('s', async () => {
          runs++;
          if (runs === 1) await gate;
          return done({ by: runs });
        }),
      ],
    });
    const a = make({ workflows: [wf], owner: 'a', leaseMs: 1_000 });
    const b = make({ workflows: [wf], owner: 'b', leaseMs: 1_000 });
    const { job } = await a.submit('ll', {});
    const slow = a.runOnce(job.id);
    await new Promise((r) => setImmediate(r));
    clock.advance(1_001);
    expect(await b.runOnce(job.id)).toMatchObject({ committed: true, state: 'succeeded' });
    release();
    expect(await slow).toMatchObject({ committed: false });
    const j = (await store.getJob(job.id))!;
    expect(j).toMatchObject({ state: 'succeeded', context: expect.objectContaining({ by: 2 }), attempt: 2 });
    const types = (await store.listEvents(job.id)).map((e) => e.type);
    expect(types).toContain('lease.expired');
    expect(types.filter((t) => t === 'step.done')).toHaveLength(1);
  });

  it('aborts the signal of a step whose heartbeat finds the lease gone', async () => {
    let beat: boolean | undefined;
    let reason: unknown;
    const wf = defineWorkflow({
      kind: 'hb',
      params: z.object({}),
      steps: [
        step('upload', async (ctx) => {
          await store.claim({ owner: 'thief', leaseMs: 1_000, now: clock.now() + 60_000, jobId: ctx.job.id });
          beat = await ctx.heartbeat({ phase: 'upload', done: 1 });
          reason = ctx.signal.reason;
          return done({ uploaded: true });
        }),
      ],
    });
    const e = make({ workflows: [wf], leaseMs: 1_000 });
    const { job } = await e.submit('hb', {});
    expect(await e.runOnce(job.id)).toMatchObject({ committed: false });
    expect(beat).toBe(false);
    expect(reason).toMatchObject({ name: 'LeaseLostError' });
    expect((await store.getJob(job.id))!).toMatchObject({ state: 'running', leaseOwner: 'thief', stepIndex: 0 });
  });

  it('starts at most `limit` jobs of a concurrency key', async () => {
    const wf = defineWorkflow({
      kind: 'lim',
      params: z.object({ project: z.string() }),
      concurrency: (p) => ({ key: `project:${p.project}`, limit: 2 }),
      steps: [step('a', () => wait({ reason: 'slow' })), step('b', () => done())],
    });
    // targeted claims only (the hand-over of each commit is engine-handover.test.ts's subject)
    const e = make({ workflows: [wf], handOver: false });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await e.submit('lim', { project: 'p1' })).job.id);
    const other = await e.submit('lim', { project: 'p2' });
    expect(await e.runOnce(ids[0]!)).not.toBeNull();
    expect(await e.runOnce(ids[1]!)).not.toBeNull();
    expect(await e.runOnce(ids[2]!)).toBeNull();
    expect(await e.runOnce(other.job.id)).not.toBeNull();
    expect((await store.getJob(ids[0]!))!).toMatchObject({ concurrencyKey: 'project:p1', concurrencyLimit: 2 });
  });

  it('re-runs a step idempotently after a crash between its side effect and the commit', async () => {
    const cloud = new FakeCloud();
    const wf = defineWorkflow({
      kind: 'crash',
      params: z.object({}),
      steps: [
        step(
          'createImage',
          (ctx) => {
            const imageId = cloud.find(ctx.job.id, 'img') ?? cloud.create(ctx.job.id, 'img');
            return done({ imageId });
          },
          { mutating: true },
        ),
        step('after', () => done()),
      ],
    });
    // The crash: the store dies on commit after the step's side effect happened.
    const crashing = new Proxy(store, {
      get(target, prop, recv) {
        if (prop === 'commit')
          return async () => {
            throw new Error('process died');
          };
        const v = Reflect.get(target, prop, recv) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const a = engineFor(crashing, clock, { workflows: [wf], owner: 'a', leaseMs: 1_000, dispatch: () => {} });
    engines.push(a);
    const b = make({ workflows: [wf], owner: 'b', leaseMs: 1_000 });
    const { job } = await a.submit('crash', {});
    await expect(a.runOnce(job.id)).rejects.toThrow('process died');
    expect(cloud.creations).toBe(1);
    expect(await b.runOnce(job.id)).toBeNull(); // lease still held by the dead handler
    clock.advance(1_000);
    expect(await b.runOnce(job.id)).toMatchObject({ step: 'createImage', committed: true });
    expect(await b.runOnce(job.id)).toMatchObject({ state: 'succeeded' });
    expect(cloud.creations).toBe(1);
    expect((await store.getJob(job.id))!.result).toEqual({ imageId: 'thing-1' });
  });

  it('fails a step that keeps dying without committing (reclaim loop)', async () => {
    const wf = defineWorkflow({
      kind: 'loop',
      params: z.object({}),
      steps: [step('s', () => done(), { retry: { maxAttempts: 2, baseMs: 0, maxMs: 0, factor: 1 } })],
    });
    const e = make({ workflows: [wf], leaseMs: 100 });
    const { job } = await e.submit('loop', {});
    // two claims whose handler "died" (claim without commit)
    for (let i = 0; i < 2; i++) {
      expect(await store.claim({ owner: `dead-${i}`, leaseMs: 100, now: clock.now(), jobId: job.id })).not.toBeNull();
      clock.advance(100);
    }
    expect(await e.runOnce(job.id)).toMatchObject({ state: 'failed' });
    expect((await store.getJob(job.id))!.error).toMatchObject({ code: 'attempts_exhausted', step: 's' });
  });
});
