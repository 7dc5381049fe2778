import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import { done } from '../../shared/engine/results';
import type { JobStore } from '../../shared/jobs/types';
import { engineFor, manualClock, openSqliteStore } from './harness';

// Hand-over: the commit that ends a job also claims the next runnable one (one call to the
// store), so a lock or a concurrency slot freed by a finishing job is used at once, without
// waiting for a tick. Real SQLite store, real in-process dispatch (setImmediate).

let dir = '';
let store: JobStore;
const engines: Engine[] = [];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-handover-'));
  store = await openSqliteStore(join(dir, 'jobs.db'));
});
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function setup(handOver: boolean) {
  const clock = manualClock();
  let running = 0;
  let peak = 0;
  const order: string[] = [];
  const work = defineStep({
    name: 'work',
    retry: { maxAttempts: 1, baseMs: 1, maxMs: 1, factor: 1 },
    timeout: 5_000,
    run: async (ctx) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push((ctx.job.params as { name: string }).name);
      running--;
      return done();
    },
  });
  const wf = defineWorkflow({
    kind: 'snap',
    params: z.object({ name: z.string(), server: z.string(), project: z.string() }),
    lockKey: (p) => `srv/${p.server}`,
    concurrency: (p) => ({ key: `project:${p.project}`, limit: 1 }),
    steps: [work],
  });
  // the default dispatch (setImmediate); no wake-up timers and no tick: only hand-overs start jobs
  const e = engineFor(store, clock, { workflows: [wf], handOver, dispatch: undefined });
  engines.push(e);
  return { e, order, peak: () => peak };
}

describe('engine hand-over', () => {
  it('a job that ends starts the next one waiting on its lock or its concurrency slot, in order', async () => {
    const { e, order, peak } = setup(true);
    const ids: string[] = [];
    for (const [name, server, project] of [
      ['a', 's1', 'p1'],
      ['b', 's1', 'p1'],
      ['c', 's2', 'p1'],
      ['d', 's1', 'p1'],
    ]) {
      ids.push((await e.submit('snap', { name, server, project })).job.id);
    }
    await e.runOnce(ids[0]);
    await e.drain();
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(peak()).toBe(1);
    for (const id of ids) expect((await store.getJob(id))?.state).toBe('succeeded');
    // each later job was claimed by the hand-over of the commit before it, by the same owner
    const claimed = await store.listEvents(ids[1]!);
    expect(claimed.map((x) => x.type)).toEqual(['submitted', 'claimed', 'step.done']);
  });

  it('without hand-over the freed slot waits for the next tick', async () => {
    const { e, order } = setup(false);
    const a = (await e.submit('snap', { name: 'a', server: 's1', project: 'p1' })).job.id;
    const b = (await e.submit('snap', { name: 'b', server: 's1', project: 'p1' })).job.id;
    await e.runOnce(a);
    await e.drain();
    expect(order).toEqual(['a']);
    expect((await store.getJob(b))?.state).toBe('queued');
    await e.tick();
    await e.drain();
    expect(order).toEqual(['a', 'b']);
  });
});
