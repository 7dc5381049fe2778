import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import { createEngine } from '../../shared/engine/engine';
import { InvalidParamsError, UnknownKindError } from '../../shared/engine/errors';
import { done, wait } from '../../shared/engine/results';
import type { JobStore } from '../../shared/jobs/types';
import { type Clock, engineFor, manualClock, quietLog, STORES } from './harness';

const retryPolicy = { maxAttempts: 3, baseMs: 100, maxMs: 1000, factor: 2 };

function step(name: string, run: AnyStep['run'], extra: Partial<AnyStep> = {}): AnyStep {
  return defineStep({ name, retry: retryPolicy, timeout: 5_000, run, ...extra });
}

describe.each(STORES)('engine run ($name store)', (factory) => {
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

  it('chains every step immediately through dispatch and accumulates context', async () => {
    const order: string[] = [];
    const dispatched: string[] = [];
    const wf = defineWorkflow({
      kind: 'three',
      params: z.object({ server: z.string() }),
      steps: [
        step('resolve', (ctx) => {
          order.push(`resolve:${ctx.attempt}`);
          ctx.recordRequestId('req-resolve');
          return done({ serverId: `id-of-${(ctx.params as { server: string }).server}` });
        }),
        step(
          'create',
          (ctx) => {
            order.push('create');
            ctx.recordRequestId('req-create-1');
            ctx.recordRequestId('req-create-2');
            return done({ imageId: `img-for-${String(ctx.context.serverId)}` });
          },
          { mutating: true },
        ),
        step('finish', (ctx) => {
          order.push(`finish:${String(ctx.context.imageId)}`);
          return done();
        }),
      ],
    });
    engine = engineFor(store, clock, {
      workflows: [wf],
      dispatch: (id, run) => {
        dispatched.push(id);
        setImmediate(() => void run());
      },
    });
    const { job, created } = await engine.submit('three', { server: 'web' });
    expect(created).toBe(true);
    await engine.drain();
    expect(order).toEqual(['resolve:1', 'create', 'finish:img-for-id-of-web']);
    // submit + one dispatch per done step that has a successor
    expect(dispatched).toEqual([job.id, job.id, job.id]);
    const after = await store.getJob(job.id);
    expect(after).toMatchObject({ state: 'succeeded', result: { serverId: 'id-of-web', imageId: 'img-for-id-of-web' }, error: null });
    expect(after!.finishedAt).not.toBeNull();
    const events = await store.listEvents(job.id);
    const steps = events.filter((e) => e.type === 'step.done');
    expect(steps.map((e) => [e.step, e.toState, e.attempt])).toEqual([
      ['resolve', 'queued', 1],
      ['create', 'queued', 1],
      ['finish', 'succeeded', 1],
    ]);
    expect(steps.map((e) => e.requestIds)).toEqual([['req-resolve'], ['req-create-1', 'req-create-2'], []]);
    expect(events[0]).toMatchObject({ type: 'submitted', toState: 'queued' });
  });

  it('passes over steps whose skip says so in the commit before them: no claim of their own, named in that event', async () => {
    const ran: string[] = [];
    const skipUnlessStopped = (_p: unknown, c: Record<string, unknown>) => c.stopped !== true;
    const wf = defineWorkflow({
      kind: 'skips',
      params: z.object({ stop: z.boolean() }),
      steps: [
        step('resolve', (ctx) => (ran.push('resolve'), done({ stopped: (ctx.params as { stop: boolean }).stop }))),
        step('start', () => (ran.push('start'), done()), { skip: skipUnlessStopped }),
        step('wait-active', () => (ran.push('wait-active'), done()), { skip: skipUnlessStopped }),
        step('finish', () => (ran.push('finish'), done())),
        // a step with skip must skip in its run too (typed steps do): it is claimed when last
        step('hook', () => done(), { skip: () => true }),
      ],
    });
    engine = engineFor(store, clock, { workflows: [wf] });
    const { job } = await engine.submit('skips', { stop: false });
    await engine.drain();
    expect(ran).toEqual(['resolve', 'finish']);
    expect(await store.getJob(job.id)).toMatchObject({ state: 'succeeded' });
    const events = await store.listEvents(job.id);
    // the last step is still claimed (where a cancel is seen), and skips in its run
    expect(events.filter((e) => e.type === 'claimed')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'step.done').map((e) => [e.step, e.message, e.data])).toEqual([
      ['resolve', 'resolve done; skipped start, wait-active', expect.objectContaining({ skipped: ['start', 'wait-active'] })],
      ['finish', 'finish done', expect.anything()],
      ['hook', 'hook done; job succeeded', expect.anything()],
    ]);
    // the same workflow with work for those steps runs them all but the hook
    ran.length = 0;
    await engine.submit('skips', { stop: true });
    await engine.drain();
    expect(ran).toEqual(['resolve', 'start', 'wait-active', 'finish']);
  });

  it('runOnce runs exactly one step and commits the next state', async () => {
    const ran: string[] = [];
    const wf = defineWorkflow({
      kind: 'two',
      params: z.object({}),
      steps: [step('a', () => (ran.push('a'), done({ a: 1 }))), step('b', () => (ran.push('b'), done()))],
    });
    const dispatched: string[] = [];
    engine = engineFor(store, clock, { workflows: [wf], dispatch: (id) => void dispatched.push(id) });
    const { job } = await engine.submit('two', {});
    const out = await engine.runOnce(job.id);
    expect(out).toMatchObject({ jobId: job.id, step: 'a', type: 'step.done', state: 'queued', committed: true });
    expect(ran).toEqual(['a']);
    expect(await store.getJob(job.id)).toMatchObject({ state: 'queued', step: 'b', stepIndex: 1, context: expect.objectContaining({ a: 1 }) });
    expect(await engine.runOnce(job.id)).toMatchObject({ step: 'b', state: 'succeeded' });
    expect(await engine.runOnce(job.id)).toBeNull();
    expect(ran).toEqual(['a', 'b']);
  });

  it('validates params, honours idempotency keys and reports a dry-run plan without writing', async () => {
    const wf = defineWorkflow({
      kind: 'snap',
      params: z.object({ server: z.string(), stop: z.boolean().default(false) }),
      steps: [step('resolve', () => done()), step('stop', () => done()), step('image', () => done())],
      plan: (p) => (p.stop ? ['resolve', 'stop', 'image'] : ['resolve', 'image']),
    });
    engine = engineFor(store, clock, { workflows: [wf], dispatch: () => {} });
    await expect(engine.submit('snap', { server: 3 })).rejects.toBeInstanceOf(InvalidParamsError);
    await expect(engine.submit('nope', {})).rejects.toBeInstanceOf(UnknownKindError);
    expect(engine.plan('snap', { server: 'web' })).toEqual({ kind: 'snap', steps: ['resolve', 'image'] });
    expect(engine.plan('snap', { server: 'web', stop: true }).steps).toEqual(['resolve', 'stop', 'image']);
    expect(() => engine!.plan('snap', {})).toThrow(InvalidParamsError);
    expect(await store.listJobs({})).toHaveLength(0);

    const first = await engine.submit('snap', { server: 'web' }, { idempotencyKey: 'k1', requestedBy: 'ci' });
    const again = await engine.submit('snap', { server: 'web' }, { idempotencyKey: 'k1' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
    expect(first.job).toMatchObject({ requestedBy: 'ci', params: { server: 'web', stop: false } });
  });

  it('validates step input from params and context', async () => {
    const seen: unknown[] = [];
    const wf = defineWorkflow({
      kind: 'inp',
      params: z.object({ server: z.string() }),
      steps: [
        step('a', () => done({ imageId: 'img-1' })),
        defineStep({
          name: 'b',
          input: z.object({ server: z.string(), imageId: z.string() }),
          retry: retryPolicy,
          timeout: 1000,
          run: (ctx) => (seen.push(ctx.input), done()),
        }),
        defineStep({ name: 'c', input: z.object({ flavor: z.string() }), retry: retryPolicy, timeout: 1000, run: () => done() }),
      ],
    });
    engine = engineFor(store, clock, { workflows: [wf] });
    const { job } = await engine.submit('inp', { server: 'web' });
    await engine.drain();
    expect(seen).toEqual([{ server: 'web', imageId: 'img-1' }]);
    expect(await store.getJob(job.id)).toMatchObject({ state: 'failed', error: { code: 'invalid_input', step: 'c' } });
  });

  it('commits waits with adaptive run_after and resumes the same step', async () => {
    let polls = 0;
    const wf = defineWorkflow({
      kind: 'w',
      params: z.object({}),
      steps: [
        step('poll', () => (++polls < 4 ? wait({ reason: 'image saving' }) : done({ polls }))),
        step('at', (ctx) => (ctx.context.waited ? done() : wait({ until: ctx.now() + 12_345, reason: 'explicit' }))),
      ],
    });
    engine = engineFor(store, clock, { workflows: [wf], dispatch: () => {} });
    const { job } = await engine.submit('w', {});
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await engine.runOnce(job.id)).toMatchObject({ type: 'step.wait', state: 'waiting' });
      const j = (await store.getJob(job.id))!;
      expect(j).toMatchObject({ state: 'waiting', step: 'poll', stepIndex: 0, attempt: 1 });
      delays.push(j.runAfter - clock.now());
      // not runnable before its run_after
      expect(await engine.runOnce(job.id)).toBeNull();
      clock.set(j.runAfter);
    }
    expect(delays).toEqual([500, 1000, 2000]);
    expect(await engine.runOnce(job.id)).toMatchObject({ step: 'poll', type: 'step.done' });
    expect(await engine.runOnce(job.id)).toMatchObject({ step: 'at', type: 'step.wait' });
    expect((await store.getJob(job.id))!.runAfter).toBe(clock.now() + 12_345);
    const waits = (await store.listEvents(job.id)).filter((e) => e.type === 'step.wait');
    expect(waits.map((e) => e.message)).toEqual(['image saving', 'image saving', 'image saving', 'explicit']);
  });

  it('tick runs due jobs as the safety net', async () => {
    let n = 0;
    const wf = defineWorkflow({ kind: 't', params: z.object({}), steps: [step('x', () => (++n === 1 ? wait({ after: 1000, reason: 'r' }) : done()))] });
    engine = engineFor(store, clock, { workflows: [wf], dispatch: () => {} });
    const a = await engine.submit('t', {});
    expect(await engine.tick()).toEqual([expect.objectContaining({ jobId: a.job.id, type: 'step.wait' })]);
    expect(await engine.tick()).toEqual([]);
    clock.advance(1000);
    expect(await engine.tick()).toEqual([expect.objectContaining({ jobId: a.job.id, state: 'succeeded' })]);
  });

  it('wakes a short wait in process, without a tick (real clock)', async () => {
    let polls = 0;
    const wf = defineWorkflow({
      kind: 'wk',
      params: z.object({}),
      steps: [step('poll', () => (++polls < 3 ? wait({ reason: 'not yet' }) : done()), { wait: { baseMs: 10, maxMs: 20 } })],
    });
    engine = createEngine({ store, workflows: [wf], owner: 'real', leaseMs: 5_000, log: quietLog });
    const { job } = await engine.submit('wk', {});
    const deadline = Date.now() + 5_000;
    let state = job.state;
    while (state !== 'succeeded' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      state = (await store.getJob(job.id))!.state;
    }
    expect(state).toBe('succeeded');
    expect(polls).toBe(3);
  });

  it('records heartbeat progress', async () => {
    const wf = defineWorkflow({
      kind: 'hb',
      params: z.object({}),
      steps: [
        step('upload', async (ctx) => {
          expect(await ctx.heartbeat({ phase: 'upload', done: 5, total: 10 })).toBe(true);
          return wait({ reason: 'more' });
        }),
      ],
    });
    engine = engineFor(store, clock, { workflows: [wf], dispatch: () => {} });
    const { job } = await engine.submit('hb', {});
    await engine.runOnce(job.id);
    expect((await store.getJob(job.id))!.progress).toEqual({ phase: 'upload', done: 5, total: 10 });
  });
});
