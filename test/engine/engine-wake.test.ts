// In-process wake-ups: a timer that fires before the clock says "due" must not leave the job
// asleep until the cron tick (seen once in production-like runs).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import { createEngine } from '../../shared/engine/engine';
import { done, wait } from '../../shared/engine/results';
import type { ClaimOptions, Job, JobStore } from '../../shared/jobs/types';
import { type Clock, manualClock, quietLog, STORES } from './harness';

function step(name: string, run: AnyStep['run']): AnyStep {
  return defineStep({ name, retry: { maxAttempts: 3, baseMs: 0, maxMs: 0, factor: 1 }, timeout: 5_000, run });
}

/** The store with its claim wrapped (the edge the engine talks to). */
function withClaim(store: JobStore, claim: (o: ClaimOptions, real: JobStore['claim']) => Promise<Job | null>): JobStore {
  const real = store.claim.bind(store);
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'claim') return (o: ClaimOptions) => claim(o, real);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function until<T>(fn: () => Promise<T | null | undefined | false>, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('deadline passed');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(STORES)('engine wake-ups ($name store)', (factory) => {
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

  it('re-arms when the wake-up claim comes before the clock says the job is due', async () => {
    let runs = 0;
    const wf = defineWorkflow({
      kind: 'early',
      params: z.object({}),
      steps: [step('x', (ctx) => (++runs === 1 ? wait({ until: ctx.now() + 20, reason: 'not yet' }) : done()))],
    });
    const early: number[] = [];
    // The manual clock does not move with the timer: the first wake-up finds the job 20 ms early
    // (what a timer firing early looks like); the clock catches up right after that claim.
    const wrapped = withClaim(store, async (o, real) => {
      const job = await real(o);
      if (!job && o.jobId !== undefined && early.length === 0) {
        early.push(o.now ?? 0);
        clock.advance(20);
      }
      return job;
    });
    engine = createEngine({ store: wrapped, workflows: [wf], owner: 'w', leaseMs: 5_000, now: clock.now, log: quietLog });
    const { job } = await engine.submit('early', {});
    const end = await until(async () => {
      const j = await store.getJob(job.id);
      return j?.state === 'succeeded' ? j : null;
    });
    expect(early).toHaveLength(1);
    expect(runs).toBe(2);
    expect(end.state).toBe('succeeded');
  });

  it('does not re-arm forever when a job stays early (bounded)', async () => {
    const wf = defineWorkflow({ kind: 'frozen', params: z.object({}), steps: [step('x', (ctx) => wait({ until: ctx.now() + 5, reason: 'frozen clock' }))] });
    let targeted = 0;
    const wrapped = withClaim(store, async (o, real) => {
      if (o.jobId !== undefined) targeted++;
      return real(o);
    });
    engine = createEngine({ store: wrapped, workflows: [wf], owner: 'w', leaseMs: 5_000, now: clock.now, log: quietLog });
    const { job } = await engine.submit('frozen', {});
    // the submit dispatch, then the first wake-up and at most 5 re-arms (the clock never moves)
    await until(async () => targeted >= 7 || null);
    await engine.drain(2_000);
    // longer than a re-arm period (5 ms + slack): a further re-arm would show up here
    await new Promise((r) => setTimeout(r, 50));
    expect(targeted).toBe(7);
    expect((await store.getJob(job.id))!.state).toBe('waiting');
  });
});
