// Step events carry data.durationMs (the step's run time on the engine clock), which the
// step-duration histogram reads instead of guessing from the gap between events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import type { EngineEvent } from '../../shared/engine/engine-event';
import { NonRetryableError } from '../../shared/engine/errors';
import { done, wait } from '../../shared/engine/results';
import type { JobStore } from '../../shared/jobs/types';
import { createSnapflowMetrics } from '../../shared/metrics/snapflow-metrics';
import { type Clock, engineFor, manualClock, STORES } from './harness';

const policy = { maxAttempts: 2, baseMs: 0, maxMs: 0, factor: 1 };
function step(name: string, run: AnyStep['run'], extra: Partial<AnyStep> = {}): AnyStep {
  return defineStep({ name, retry: policy, timeout: 5_000, run, ...extra });
}

describe.each(STORES)('step durations ($name store)', (factory) => {
  let clock: Clock;
  let store: JobStore;
  let dispose: () => Promise<void>;
  let engine: Engine;

  beforeEach(async () => {
    clock = manualClock();
    ({ store, dispose } = await factory.open(clock));
  });
  afterEach(async () => {
    await engine.close();
    await dispose();
  });

  it('puts the run time on step.done / step.wait / step.failed / cleanup.done, not on pre-run events', async () => {
    let polls = 0;
    const wf = defineWorkflow({
      kind: 'dur',
      params: z.object({}),
      steps: [
        step(
          'create',
          () => {
            clock.advance(250);
            return done();
          },
          { mutating: true },
        ),
        step('poll', () => (clock.advance(40), ++polls === 1 ? wait({ reason: 'saving' }) : done())),
        step('boom', () => {
          clock.advance(7);
          throw new NonRetryableError('broken', { code: 'broken' });
        }),
      ],
      cleanup: [
        step('undo', () => {
          clock.advance(3);
          return done();
        }),
      ],
    });
    const seen: EngineEvent[] = [];
    const metrics = createSnapflowMetrics();
    engine = engineFor(store, clock, {
      workflows: [wf],
      dispatch: () => {},
      onEvent: (e) => {
        seen.push(e);
        metrics.observeEngineEvent(e);
      },
    });
    const { job } = await engine.submit('dur', {});
    for (let i = 0; i < 10 && !['failed', 'succeeded'].includes((await store.getJob(job.id))!.state); i++) {
      const j = (await store.getJob(job.id))!;
      clock.set(Math.max(clock.now(), j.runAfter));
      await engine.runOnce(job.id);
    }
    const byType = seen.map((e) => [e.event.type, e.event.step, e.event.data?.durationMs]);
    expect(byType).toEqual([
      ['submitted', null, undefined],
      ['step.done', 'create', 250],
      ['step.wait', 'poll', 40],
      ['step.done', 'poll', 40],
      ['step.failed', 'boom', 7],
      ['cleanup.done', 'undo', 3],
    ]);
    // stored with the event, too
    const stored = (await store.listEvents(job.id)).filter((e) => e.type === 'step.done');
    expect(stored.map((e) => e.data?.durationMs)).toEqual([250, 40]);
    // the histogram gets the exact values: 0.25 s for create
    const text = await metrics.registry.render();
    expect(text).toMatch(/snapflow_step_duration_seconds_sum\{kind="dur",step="create",outcome="done"\} 0\.25\b/);
    expect(text).toMatch(/snapflow_step_duration_seconds_sum\{kind="dur",step="poll",outcome="wait"\} 0\.04\b/);
  });

  it('a cancel decided before the step runs carries no duration', async () => {
    const wf = defineWorkflow({
      kind: 'dur-c',
      params: z.object({}),
      steps: [
        step(
          'make',
          () => {
            clock.advance(5);
            return done();
          },
          { mutating: true },
        ),
        step('poll', () => wait({ reason: 'x' })),
      ],
      cleanup: [step('undo', () => done())],
    });
    const seen: EngineEvent[] = [];
    engine = engineFor(store, clock, { workflows: [wf], onEvent: (e) => seen.push(e) });
    const { job } = await engine.submit('dur-c', {});
    await engine.drain();
    await engine.cancel(job.id);
    await engine.drain();
    const cleanupStart = seen.find((e) => e.event.type === 'cancel.cleanup');
    expect(cleanupStart).toBeDefined();
    expect(cleanupStart!.event.data).not.toHaveProperty('durationMs');
    expect(seen.find((e) => e.event.type === 'cleanup.done')!.event.data).toHaveProperty('durationMs', 0);
  });
});
