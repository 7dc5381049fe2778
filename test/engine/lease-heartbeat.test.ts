// A lease much shorter than a step (PostgreSQL's is short, so that a dead instance's jobs
// resume soon): the engine renews it in the background while the step runs, so no other
// handler takes the job over however long the step takes. Real clock, real PostgreSQL (the
// table whose lease is short); a second engine keeps trying to claim all along.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { defineStep, defineWorkflow } from '../../shared/engine/define';
import { createEngine, type Engine } from '../../shared/engine/engine';
import { done } from '../../shared/engine/results';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../../shared/jobs/open-postgres-node';
import type { JobStore } from '../../shared/jobs/types';
import { manualClock, quietLog, type StoreFactory } from './harness';

const postgres: StoreFactory = {
  name: 'postgres',
  async open() {
    const store = createJobStore(openPostgresJobDb(inject('pgUrl')));
    await store.migrate();
    return { store, dispose: () => store.close() };
  },
};

const LEASE_MS = 600;
const STEP_MS = 3 * LEASE_MS;

describe.each([postgres])('lease renewal during a long step ($name store)', (factory) => {
  let store: JobStore;
  let dispose: () => Promise<void>;
  const engines: Engine[] = [];
  beforeEach(async () => {
    ({ store, dispose } = await factory.open(manualClock()));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    await dispose();
  });

  it('keeps the job while the step runs for several lease lengths', async () => {
    const kind = `long-${crypto.randomUUID().slice(0, 8)}`;
    const wf = defineWorkflow({
      kind,
      params: z.object({}),
      steps: [
        defineStep({
          name: 'long',
          retry: { maxAttempts: 1, baseMs: 1, maxMs: 1, factor: 1 },
          timeout: 30_000,
          run: async () => (await new Promise((r) => setTimeout(r, STEP_MS)), done({ ran: true })),
        }),
      ],
    });
    const make = (owner: string) => {
      const e = createEngine({ store, workflows: [wf], owner, leaseMs: LEASE_MS, dispatch: () => {}, handOver: false, wakeWithinMs: 0, log: quietLog });
      engines.push(e);
      return e;
    };
    const a = make('a');
    const b = make('b');
    const { job } = await a.submit(kind, {});
    const running = a.runOnce(job.id);
    let stolen = 0;
    let triedPastFirstLease = false;
    // b tries to take the job over every 50 ms for as long as a's step runs
    let over = false;
    void running.finally(() => (over = true));
    while (!over) {
      const claimedAt = (await store.getJob(job.id))?.startedAt;
      if (claimedAt != null && Date.now() > claimedAt + LEASE_MS) triedPastFirstLease = true;
      if (await b.runOnce(job.id)) stolen++;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await running).toMatchObject({ committed: true, state: 'succeeded' });
    // b did try when a lease that was never renewed would have been over
    expect(triedPastFirstLease).toBe(true);
    expect(stolen).toBe(0);
    expect((await store.listEvents(job.id)).map((e) => e.type)).toEqual(['submitted', 'claimed', 'step.done']);
  });
});
