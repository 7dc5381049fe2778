import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommitAndClaimContract } from './store-contract-commit-claim';
import type { ContractStore } from './store-contract-lifecycle';
import { registerLifecycleContract } from './store-contract-lifecycle';
import { registerLocksContract } from './store-contract-locks';
import { registerRunnerTaskContract } from './store-contract-runner-tasks';
import { registerSlotsContract } from './store-contract-slots';
import { done, ev, uid } from './store-contract-support';

// One behavioural contract for every job store (SQLite file, PostgreSQL, D1 in workerd).
// Tests share one database per run, so each test works in its own `kind` (claims filter on
// it) and its own lock/concurrency keys: no cleanup between tests is needed. This file holds
// inserting, claiming, leases, locks and limits; store-contract-lifecycle.ts the rest, with
// commit-and-claim, the atomic "insert unless locked" and runner tasks in their own files.

export function runStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`job store contract: ${name}`, () => {
    let store: ContractStore;
    const later = () => Date.now() + 1_000;
    const add = async (kind: string, extra: Record<string, unknown> = {}) =>
      (await store.insertJob({ id: `job-${uid()}`, kind, params: { n: 1 }, ...extra })).job;

    beforeAll(async () => {
      store = await makeStore();
      await store.migrate();
    });
    afterAll(() => store?.close());

    it('migrations are idempotent and keep data', async () => {
      const job = await add(`k-${uid()}`);
      await store.migrate();
      await store.migrate();
      expect((await store.getJob(job.id))?.id).toBe(job.id);
    });

    it('inserts a job with defaults and a submitted event', async () => {
      const kind = `k-${uid()}`;
      const { job, created } = await store.insertJob({
        id: `job-${uid()}`,
        kind,
        params: { server: 'web', list: [1, 2] },
        context: { a: 1 },
        requestedBy: 'alice',
        lockKey: 'srv-x',
        deadline: 123,
        concurrencyKey: 'p',
        concurrencyLimit: 3,
      });
      expect(created).toBe(true);
      expect(job).toMatchObject({
        kind,
        state: 'queued',
        step: null,
        stepIndex: 0,
        phase: 'run',
        params: { server: 'web', list: [1, 2] },
        context: { a: 1 },
        result: null,
        attempt: 0,
        deadline: 123,
        leaseOwner: null,
        lockKey: 'srv-x',
        concurrencyKey: 'p',
        concurrencyLimit: 3,
        requestedBy: 'alice',
        cancelRequested: false,
        error: null,
        progress: null,
        startedAt: null,
        finishedAt: null,
      });
      expect(typeof job.seq).toBe('number');
      expect(typeof job.createdAt).toBe('number');
      expect(await store.getJob(job.id)).toEqual(job);
      expect(await store.getJob('nope')).toBeNull();
      const events = await store.listEvents(job.id);
      expect(events.map((e) => e.type)).toEqual(['submitted']);
      expect(events[0]).toMatchObject({ jobId: job.id, toState: 'queued', requestIds: [] });
    });

    it('returns the first job for a repeated idempotency key, also when inserts race', async () => {
      const key = `idem-${uid()}`;
      const kind = `k-${uid()}`;
      const first = await store.insertJob({ id: `job-${uid()}`, kind, params: {}, idempotencyKey: key });
      const again = await store.insertJob({ id: `job-${uid()}`, kind, params: { other: true }, idempotencyKey: key });
      expect(first.created).toBe(true);
      expect(again).toEqual({ job: first.job, created: false });
      expect((await store.getJobByIdempotencyKey(key))?.id).toBe(first.job.id);
      expect(await store.getJobByIdempotencyKey(`missing-${uid()}`)).toBeNull();

      const raceKey = `idem-${uid()}`;
      const results = await Promise.all(Array.from({ length: 6 }, () => store.insertJob({ id: `job-${uid()}`, kind, params: {}, idempotencyKey: raceKey })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect(await store.listEvents(results[0]!.job.id)).toHaveLength(1);
    });

    it('claims the oldest runnable job first and sets a lease', async () => {
      const kind = `k-${uid()}`;
      const a = await add(kind);
      const future = await add(kind, { runAfter: Date.now() + 3_600_000 });
      const b = await add(kind);
      const now = later();
      const c1 = await store.claim({ owner: 'w1', leaseMs: 60_000, kinds: [kind], now });
      expect(c1).toMatchObject({ id: a.id, state: 'running', leaseOwner: 'w1', leaseExpiresAt: now + 60_000, attempt: 1, startedAt: now });
      expect((await store.claim({ owner: 'w1', leaseMs: 60_000, kinds: [kind], now }))?.id).toBe(b.id);
      expect(await store.claim({ owner: 'w1', leaseMs: 60_000, kinds: [kind], now })).toBeNull();
      expect(await store.claim({ owner: 'w1', leaseMs: 60_000, kinds: [`other-${uid()}`], now })).toBeNull();
      expect(await store.commit(a.id, 'w1', done, ev('step.done'), now)).toBe(true);
      expect(await store.commit(b.id, 'w1', done, ev('step.done'), now)).toBe(true);
      expect((await store.claim({ owner: 'w1', leaseMs: 1, kinds: [kind], now: now + 7_200_000 }))?.id).toBe(future.id);
      const events = await store.listEvents(a.id);
      expect(events.map((e) => e.type)).toEqual(['submitted', 'claimed', 'step.done']);
      expect(events[1]).toMatchObject({ fromState: 'queued', toState: 'running', attempt: 1 });
    });

    it('claims one specific job with the same guards', async () => {
      const kind = `k-${uid()}`;
      const lock = `lock-${uid()}`;
      const a = await add(kind, { lockKey: lock });
      const b = await add(kind, { lockKey: lock });
      const c = await add(kind);
      const now = later();
      expect((await store.claim({ owner: 'w', leaseMs: 1000, jobId: c.id, now }))?.id).toBe(c.id);
      expect(await store.claim({ owner: 'w', leaseMs: 1000, jobId: c.id, now })).toBeNull();
      expect(await store.claim({ owner: 'w', leaseMs: 1000, jobId: b.id, now })).toBeNull();
      expect((await store.claim({ owner: 'w', leaseMs: 1000, jobId: a.id, now }))?.id).toBe(a.id);
    });

    it('heartbeats extend only the owner’s lease; expired leases are reclaimed with attempt+1', async () => {
      const kind = `k-${uid()}`;
      const job = await add(kind);
      const t = later();
      const opts = { leaseMs: 1_000, kinds: [kind] };
      expect((await store.claim({ ...opts, owner: 'A', now: t }))?.id).toBe(job.id);
      expect(await store.claim({ ...opts, owner: 'B', now: t + 500 })).toBeNull();
      expect(await store.heartbeat(job.id, 'B', 1_000, null, t + 500)).toBe(false);
      expect(await store.heartbeat(job.id, 'A', 1_000, { phase: 'upload', done: 5, total: 10 }, t + 500)).toBe(true);
      expect(await store.getJob(job.id)).toMatchObject({ leaseExpiresAt: t + 1_500, progress: { phase: 'upload', done: 5, total: 10 } });
      expect(await store.claim({ ...opts, owner: 'B', now: t + 1_200 })).toBeNull();
      const re = await store.claim({ ...opts, owner: 'B', now: t + 1_600 });
      expect(re).toMatchObject({ id: job.id, leaseOwner: 'B', attempt: 2, startedAt: t });
      const types = (await store.listEvents(job.id)).map((e) => e.type);
      expect(types).toEqual(['submitted', 'claimed', 'lease.expired', 'claimed']);

      // the old owner lost the lease: its commit and heartbeat are refused and write nothing
      const before = await store.listEvents(job.id);
      expect(await store.commit(job.id, 'A', done, ev('step.done'), t + 1_700)).toBe(false);
      expect(await store.heartbeat(job.id, 'A', 1_000, null, t + 1_700)).toBe(false);
      expect(await store.listEvents(job.id)).toEqual(before);
      expect(await store.getJob(job.id)).toMatchObject({ state: 'running', leaseOwner: 'B', result: null });
      expect(await store.commit(job.id, 'B', done, ev('step.done'), t + 1_800)).toBe(true);
      expect(await store.getJob(job.id)).toMatchObject({
        state: 'succeeded',
        leaseOwner: null,
        leaseExpiresAt: null,
        finishedAt: t + 1_800,
        result: { ok: true },
      });
      expect(await store.commit(job.id, 'B', done, ev('step.done'), t + 1_900)).toBe(false);
    });

    it('takes expired leases and ready jobs in seq order, past running jobs ahead of the queue', async () => {
      const kind = `k-${uid()}`;
      const [a, b, c] = [await add(kind), await add(kind), await add(kind)];
      const t = later();
      const take = (owner: string, now: number, jobId?: string) => store.claim({ owner, leaseMs: 1_000, now, ...(jobId ? { jobId } : { kinds: [kind] }) });
      expect((await take('A', t, b.id))?.id).toBe(b.id);
      expect((await take('A', t + 500))?.id).toBe(a.id); // ready a: older than running b
      // b's lease ran out: older than the queued c, so it comes first; a's lease still holds
      expect(await take('B', t + 1_200)).toMatchObject({ id: b.id, attempt: 2, leaseOwner: 'B' });
      expect((await take('B', t + 1_200))?.id).toBe(c.id);
      expect(await take('B', t + 1_200)).toBeNull();
      expect(await take('C', t + 1_600)).toMatchObject({ id: a.id, attempt: 2 });
      // a newer ready job waits behind all the older expired leases
      const d = await add(kind);
      const order: (string | undefined)[] = [];
      for (let i = 0; i < 5; i++) order.push((await take('D', t + 5_000))?.id);
      expect(order).toEqual([a.id, b.id, c.id, d.id, undefined]);
    });

    it('runs lock-key jobs one at a time in FIFO order', async () => {
      const kind = `k-${uid()}`;
      const lock = `srv-${uid()}`;
      const a = await add(kind, { lockKey: lock });
      const b = await add(kind, { lockKey: lock });
      const other = await add(kind, { lockKey: `srv-${uid()}` });
      const now = later();
      const o = { owner: 'w', leaseMs: 60_000, kinds: [kind], now };
      expect((await store.claim(o))?.id).toBe(a.id);
      expect((await store.claim(o))?.id).toBe(other.id);
      expect(await store.claim(o)).toBeNull();
      // a waiting job still holds its lock
      expect(await store.commit(a.id, 'w', { state: 'waiting', runAfter: now + 10 }, ev('step.wait'), now)).toBe(true);
      expect(await store.claim(o)).toBeNull();
      expect((await store.claim({ ...o, now: now + 20 }))?.id).toBe(a.id);
      expect(await store.commit(a.id, 'w', done, ev('step.done'), now + 30)).toBe(true);
      expect((await store.claim({ ...o, now: now + 40 }))?.id).toBe(b.id);
      expect((await store.listJobs({ lockKey: lock })).map((j) => j.id)).toEqual([b.id, a.id]);
    });

    it('honours concurrency limits counting started unfinished jobs', async () => {
      const kind = `k-${uid()}`;
      const key = `proj-${uid()}`;
      const limited = { concurrencyKey: key, concurrencyLimit: 2 };
      const [j1, j2, j3] = [await add(kind, limited), await add(kind, limited), await add(kind, limited)];
      const t = later();
      const o = { owner: 'w', leaseMs: 1_000, kinds: [kind], now: t };
      expect((await store.claim(o))?.id).toBe(j1!.id);
      expect((await store.claim(o))?.id).toBe(j2!.id);
      expect(await store.claim(o)).toBeNull();
      // a started job that waits keeps its slot
      expect(await store.commit(j1!.id, 'w', { state: 'waiting', runAfter: t + 5_000 }, ev('step.wait'), t)).toBe(true);
      expect(await store.claim(o)).toBeNull();
      // an already-started job may be reclaimed while at the limit (it is one of the two)
      expect((await store.claim({ ...o, owner: 'x', now: t + 1_500 }))?.id).toBe(j2!.id);
      expect(await store.commit(j2!.id, 'x', done, ev('step.done'), t + 1_600)).toBe(true);
      expect((await store.claim({ ...o, now: t + 1_700 }))?.id).toBe(j3!.id);
    });

    it('a key at its limit blocks the jobs whose own limit it reached, in seq order behind them a job of a free key still runs', async () => {
      const kind = `k-${uid()}`;
      const key = `proj-${uid()}`;
      const two = { concurrencyKey: key, concurrencyLimit: 2 };
      const three = { concurrencyKey: key, concurrencyLimit: 3 };
      const [j1, j2] = [await add(kind, two), await add(kind, two)];
      const blocked = await add(kind, two);
      const roomier = await add(kind, three);
      const lastOfKey = await add(kind, three);
      const free = await add(kind, { concurrencyKey: `proj-${uid()}`, concurrencyLimit: 1 });
      const t = later();
      const o = { owner: 'w', leaseMs: 60_000, kinds: [kind], now: t };
      expect((await store.claim(o))?.id).toBe(j1!.id);
      expect((await store.claim(o))?.id).toBe(j2!.id);
      // two started: the limit-2 job waits, the limit-3 one behind it may start
      expect((await store.claim(o))?.id).toBe(roomier.id);
      expect((await store.claim(o))?.id).toBe(free.id);
      expect(await store.claim(o)).toBeNull();
      expect(await store.claim({ ...o, jobId: blocked.id })).toBeNull();
      expect(await store.claim({ ...o, jobId: lastOfKey.id })).toBeNull();
      // one ends: three started of the key would be too many for the limit-2 job, not for the limit-3 one
      expect(await store.commit(j1!.id, 'w', done, ev('step.done'), t + 10)).toBe(true);
      expect((await store.claim({ ...o, now: t + 20 }))?.id).toBe(lastOfKey.id);
      expect(await store.commit(j2!.id, 'w', done, ev('step.done'), t + 30)).toBe(true);
      expect(await store.commit(roomier.id, 'w', done, ev('step.done'), t + 30)).toBe(true);
      expect((await store.claim({ ...o, now: t + 40 }))?.id).toBe(blocked.id);
    });

    it('keeps locks and limits under concurrent claims', async () => {
      const kind = `k-${uid()}`;
      const lock = `srv-${uid()}`;
      const key = `proj-${uid()}`;
      for (let i = 0; i < 4; i++) await add(kind, { lockKey: lock });
      for (let i = 0; i < 6; i++) await add(kind, { concurrencyKey: key, concurrencyLimit: 2 });
      const now = later();
      const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claim({ owner: `w${i}`, leaseMs: 60_000, kinds: [kind], now })));
      const got = claims.filter((j) => j !== null);
      expect(new Set(got.map((j) => j.id)).size).toBe(got.length);
      expect(got.filter((j) => j.lockKey === lock)).toHaveLength(1);
      expect(got.filter((j) => j.concurrencyKey === key).length).toBeLessThanOrEqual(2);
      // whatever a racing claimer skipped is still claimable afterwards, up to the limit
      for (let i = 0; i < 4; i++) await store.claim({ owner: 'late', leaseMs: 60_000, kinds: [kind], now });
      const running = await store.listJobs({ kind, state: 'running' });
      expect(running.filter((j) => j.concurrencyKey === key)).toHaveLength(2);
      expect(running.filter((j) => j.lockKey === lock)).toHaveLength(1);
    });

    registerLifecycleContract({ store: () => store, add, later });
    registerCommitAndClaimContract({ store: () => store, add, later });
    registerLocksContract({ store: () => store, add, later });
    registerRunnerTaskContract({ store: () => store, add, later });
    registerSlotsContract({ store: () => store, add, later });
  });
}
