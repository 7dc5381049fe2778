import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import { NonRetryableError } from '../../shared/engine/errors';
import { done, wait } from '../../shared/engine/results';
import type { JobStore } from '../../shared/jobs/types';
import { type Clock, engineFor, FakeCloud, manualClock, STORES } from './harness';

const retryPolicy = { maxAttempts: 3, baseMs: 0, maxMs: 0, factor: 1 };

function step(name: string, run: AnyStep['run'], extra: Partial<AnyStep> = {}): AnyStep {
  return defineStep({ name, retry: retryPolicy, timeout: 5_000, run, ...extra });
}

/** snapshot-like: resolve → create image (mutating) → wait active; cleanup deletes the image. */
function snapshotWorkflow(cloud: FakeCloud, log: string[], opts: { failWait?: boolean } = {}) {
  return defineWorkflow({
    kind: 'snap',
    params: z.object({ server: z.string() }),
    lockKey: (p) => `server:${p.server}`,
    steps: [
      step('resolve', () => {
        log.push('resolve');
        return done({ serverId: 's-1' });
      }),
      step(
        'createImage',
        (ctx) => {
          log.push('createImage');
          return done({ imageId: cloud.find(ctx.job.id, 'img') ?? cloud.create(ctx.job.id, 'img') });
        },
        { mutating: true },
      ),
      step('waitActive', () => {
        log.push('waitActive');
        if (opts.failWait) throw new NonRetryableError('image went to killed', { code: 'image_killed' });
        return wait({ reason: 'image active' });
      }),
    ],
    cleanup: [
      step('deleteImage', (ctx) => {
        log.push('deleteImage');
        const id = cloud.find(ctx.job.id, 'img');
        if (id) cloud.delete(id);
        return done({ deleted: id ?? null });
      }),
    ],
  });
}

describe.each(STORES)('engine cancel and cleanup ($name store)', (factory) => {
  let clock: Clock;
  let store: JobStore;
  let dispose: () => Promise<void>;
  let engine: Engine;
  let cloud: FakeCloud;
  let log: string[];

  beforeEach(async () => {
    clock = manualClock();
    ({ store, dispose } = await factory.open(clock));
    cloud = new FakeCloud();
    log = [];
  });
  afterEach(async () => {
    await engine.close();
    await dispose();
  });

  it('cancels a queued job without running anything', async () => {
    engine = engineFor(store, clock, { workflows: [snapshotWorkflow(cloud, log)], dispatch: () => {} });
    const { job } = await engine.submit('snap', { server: 'web' });
    expect(await engine.cancel(job.id)).toMatchObject({ state: 'cancelled' });
    expect(await engine.runOnce(job.id)).toBeNull();
    expect(log).toEqual([]);
  });

  it('stops before the next step when nothing was created yet', async () => {
    engine = engineFor(store, clock, { workflows: [snapshotWorkflow(cloud, log)], dispatch: () => {} });
    const { job } = await engine.submit('snap', { server: 'web' });
    await engine.runOnce(job.id); // resolve
    expect(await engine.cancel(job.id)).toMatchObject({ state: 'cancelled' });
    expect(log).toEqual(['resolve']);
    expect(cloud.creations).toBe(0);
  });

  it('runs cleanup when cancelled after a mutating step, then ends cancelled', async () => {
    engine = engineFor(store, clock, { workflows: [snapshotWorkflow(cloud, log)] });
    const { job } = await engine.submit('snap', { server: 'web' });
    // run until it waits for the image
    await engine.drain();
    expect((await store.getJob(job.id))!).toMatchObject({ state: 'waiting', step: 'waitActive' });
    expect(cloud.things.size).toBe(1);
    const runAfter = (await store.getJob(job.id))!.runAfter;
    expect(runAfter).toBeGreaterThan(clock.now());
    const c = await engine.cancel(job.id);
    expect(c).toMatchObject({ state: 'waiting', cancelRequested: true });
    // the clock does not move: the cleanup runs at once, not at the wait's run_after
    await engine.drain();
    const j = (await store.getJob(job.id))!;
    expect(j).toMatchObject({ state: 'cancelled', phase: 'cleanup', error: null, context: expect.objectContaining({ deleted: 'thing-1' }) });
    expect(log).toEqual(['resolve', 'createImage', 'waitActive', 'deleteImage']);
    expect(cloud.things.size).toBe(0);
    const types = (await store.listEvents(job.id)).map((e) => e.type).filter((t) => t !== 'claimed');
    expect(types).toEqual(['submitted', 'step.done', 'step.done', 'step.wait', 'cancel.requested', 'cancel.cleanup', 'cleanup.done']);
  });

  it('runs cleanup after a failure and keeps the original error', async () => {
    engine = engineFor(store, clock, { workflows: [snapshotWorkflow(cloud, log, { failWait: true })] });
    const { job } = await engine.submit('snap', { server: 'web' });
    await engine.drain();
    const j = (await store.getJob(job.id))!;
    expect(j).toMatchObject({ state: 'failed', error: { code: 'image_killed', step: 'waitActive' } });
    expect(log).toEqual(['resolve', 'createImage', 'waitActive', 'deleteImage']);
    expect(cloud.things.size).toBe(0);
  });

  it('ends failed with cleanup_failed when cleanup itself fails after a cancel', async () => {
    const base = snapshotWorkflow(cloud, log);
    const broken = defineWorkflow({
      ...base,
      cleanup: [
        step('deleteImage', () => {
          throw new NonRetryableError('image is protected', { code: 'protected' });
        }),
      ],
    });
    engine = engineFor(store, clock, { workflows: [broken] });
    const { job } = await engine.submit('snap', { server: 'web' });
    await engine.drain();
    await engine.cancel(job.id);
    await engine.drain();
    const j = (await store.getJob(job.id))!;
    expect(j).toMatchObject({ state: 'failed', phase: 'cleanup', error: { code: 'cleanup_failed', step: 'deleteImage' } });
    expect(j.error!.message).toContain('image is protected');
    expect(cloud.things.size).toBe(1);
  });

  it('runs jobs of one lock key one after the other (FIFO)', async () => {
    engine = engineFor(store, clock, { workflows: [snapshotWorkflow(cloud, log)], dispatch: () => {} });
    const first = await engine.submit('snap', { server: 'web' });
    const second = await engine.submit('snap', { server: 'web' });
    const other = await engine.submit('snap', { server: 'db' });
    expect(first.job.lockKey).toBe('server:web');
    expect(await engine.runOnce(second.job.id)).toBeNull();
    expect(await engine.runOnce()).toMatchObject({ jobId: first.job.id, step: 'resolve' });
    expect(await engine.runOnce(other.job.id)).toMatchObject({ jobId: other.job.id, step: 'resolve' });
    expect(await engine.runOnce(second.job.id)).toBeNull();
    await engine.cancel(first.job.id);
    expect(await engine.runOnce(second.job.id)).toMatchObject({ jobId: second.job.id, step: 'resolve' });
  });
});
