// Exclusive submissions (what POST /v1/jobs does): at most one unfinished job per server
// lock, decided atomically with the insert, on the lock resolved at submission (the server
// id) whatever spelling the caller used; and taking back a dead predecessor's leases.
// On the in-memory store, SQLite and PostgreSQL.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { defineStep, defineWorkflow } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import { LockBusyError } from '../../shared/engine/errors';
import { done } from '../../shared/engine/results';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../../shared/jobs/open-postgres-node';
import type { Job, JobStore } from '../../shared/jobs/types';
import { type Clock, engineFor, manualClock, STORES, type StoreFactory } from './harness';

const postgres: StoreFactory = {
  name: 'postgres',
  async open() {
    const store = createJobStore(openPostgresJobDb(inject('pgUrl')));
    await store.migrate();
    return { store, dispose: () => store.close() };
  },
};

const uid = () => crypto.randomUUID().slice(0, 8);
const RACERS = 20;

describe.each([...STORES, postgres])('exclusive submit ($name store)', (factory) => {
  let clock: Clock;
  let store: JobStore;
  let dispose: () => Promise<void>;
  const engines: Engine[] = [];
  // the PostgreSQL table is shared with other suites: a kind of our own keeps claims to ours
  let kind: string;
  let cloud: string;

  beforeEach(async () => {
    clock = manualClock();
    ({ store, dispose } = await factory.open(clock));
    kind = `snap-${uid()}`;
    cloud = `c-${uid()}`;
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    await dispose();
  });

  function engine(owner = 'api', run: () => Promise<void> = async () => {}) {
    const wf = defineWorkflow({
      kind,
      params: z.object({ cloud: z.string(), server: z.string() }),
      // what the real workflows declare: the server as typed
      lockKey: (p) => `${p.cloud}/${p.server}`,
      steps: [defineStep({ name: 'work', retry: { maxAttempts: 2, baseMs: 1, maxMs: 1, factor: 1 }, timeout: 5_000, run: async () => (await run(), done()) })],
    });
    // no dispatch and no hand-over: submitted jobs stay queued (holding their lock) until the test runs them
    const e = engineFor(store, clock, { workflows: [wf], owner, dispatch: () => {}, handOver: false });
    engines.push(e);
    return e;
  }

  async function submitAll(e: Engine, n: number, server: (i: number) => string, lock: { lockKey: string; lockAlias: string } | null, tag = 'k') {
    return Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        e.submit(kind, { cloud, server: server(i) }, { exclusive: true, idempotencyKey: `${tag}-${cloud}-${i}`, ...(lock ?? {}) }),
      ),
    );
  }

  it(`${RACERS} concurrent exclusive submits for one idle server: one job, ${RACERS - 1} LockBusyError naming it`, async () => {
    const e = engine();
    const out = await submitAll(e, RACERS, () => 'web', null);
    const made = out.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(made).toHaveLength(1);
    expect(made[0]!.created).toBe(true);
    const winner = made[0]!.job;
    const refused = out.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(refused).toHaveLength(RACERS - 1);
    for (const err of refused) {
      expect(err).toBeInstanceOf(LockBusyError);
      expect(err).toMatchObject({ lockKey: `${cloud}/web`, holder: { id: winner.id, kind } });
    }
    expect(await store.listJobs({ kind })).toHaveLength(1);
    // the winner's idempotency key replays it while it holds the lock; a loser's key made nothing
    const idx = out.findIndex((r) => r.status === 'fulfilled');
    expect(await e.submit(kind, { cloud, server: 'web' }, { exclusive: true, idempotencyKey: `k-${cloud}-${idx}` })).toEqual({ job: winner, created: false });
    await expect(e.submit(kind, { cloud, server: 'web' }, { exclusive: true, idempotencyKey: `k-${cloud}-${(idx + 1) % RACERS}` })).rejects.toBeInstanceOf(
      LockBusyError,
    );
  });

  it('by name and by id at once: the resolved lock (the id) makes them one, one created and one busy', async () => {
    const e = engine();
    const id = crypto.randomUUID();
    const resolved = { lockKey: `${cloud}/${id}`, lockAlias: `${cloud}/web` };
    const out = await submitAll(e, 2, (i) => (i === 0 ? 'web' : id), resolved);
    expect(out.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const job = out.flatMap((r) => (r.status === 'fulfilled' ? [r.value.job] : []))[0]!;
    expect(job).toMatchObject({ lockKey: `${cloud}/${id}`, lockAlias: `${cloud}/web` });
    expect(out.find((r) => r.status === 'rejected')).toMatchObject({ reason: { holder: { id: job.id } } });
    // listed under either spelling
    for (const spelling of [id, 'web']) expect((await store.listJobs({ lockKeyOrAlias: `${cloud}/${spelling}` })).map((j) => j.id)).toEqual([job.id]);
    // without the resolved lock each spelling is its own lock: the race of issue 8
    const typed = await submitAll(e, 2, (i) => (i === 0 ? 'db' : crypto.randomUUID()), null, 'typed');
    expect(typed.map((r) => (r.status === 'fulfilled' ? r.value.created : r.reason))).toEqual([true, true]);
  });

  it('a non-exclusive submit (schedules) queues behind the holder, and runs once it ended', async () => {
    const e = engine();
    const lock = { lockKey: `${cloud}/${uid()}`, lockAlias: `${cloud}/web` };
    const first = await e.submit(kind, { cloud, server: 'web' }, { exclusive: true, ...lock });
    const queued = await e.submit(kind, { cloud, server: 'web' }, lock);
    expect(queued).toMatchObject({ created: true, job: { lockKey: lock.lockKey } });
    await expect(e.submit(kind, { cloud, server: 'web' }, { exclusive: true, ...lock })).rejects.toMatchObject({ holder: { id: first.job.id } });
    expect(await e.runOnce(queued.job.id)).toBeNull();
    expect(await e.runOnce(first.job.id)).toMatchObject({ state: 'succeeded' });
    expect(await e.runOnce(queued.job.id)).toMatchObject({ state: 'succeeded' });
  });

  it('recoverLeases: a dead owner’s running jobs resume at the next claim, not when their lease runs out', async () => {
    const e = engine('restarted');
    const [a, b] = [(await e.submit(kind, { cloud, server: 'a' })).job, (await e.submit(kind, { cloud, server: 'b' })).job];
    for (const j of [a, b]) expect(await store.claim({ owner: 'dead', leaseMs: 60_000, kinds: [kind], now: clock.now(), jobId: j.id })).not.toBeNull();
    expect(await e.tick()).toEqual([]);
    expect(await e.recoverLeases('restart')).toBe(2);
    const outs = await e.tick();
    expect(outs.map((o) => o.jobId).sort()).toEqual([a.id, b.id].sort());
    for (const j of [a, b]) {
      const after = (await store.getJob(j.id)) as Job;
      expect(after).toMatchObject({ state: 'succeeded', attempt: 2 });
      expect((await store.listEvents(j.id)).map((x) => x.type)).toEqual(['submitted', 'claimed', 'lease.revoked', 'lease.expired', 'claimed', 'step.done']);
    }
  });

  it('recoverLeases leaves the engine’s own leases alone', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const e = engine('me', () => gate);
    const { job } = await e.submit(kind, { cloud, server: 'a' });
    const running = e.runOnce(job.id);
    const deadline = Date.now() + 10_000;
    while ((await store.getJob(job.id))?.state !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    expect(await e.recoverLeases()).toBe(0);
    release();
    expect(await running).toMatchObject({ committed: true, state: 'succeeded' });
  });
});
