// The job store contract, second half: committing results, TRANSITIONS, cancel, events,
// listing and schedule slots. Registered inside runStoreContract's describe.
import { expect, it } from 'vitest';
import { IllegalTransitionError, TRANSITIONS } from '../../shared/jobs/transitions';
import type { Job, JobStore, RunnerTaskStore, ScheduleSlotStore } from '../../shared/jobs/types';
import { done, ev, uid } from './store-contract-support';

/** What the contract drives: every job store (SQLite, PostgreSQL, D1, and the engine tests' in-memory one). */
export type ContractStore = JobStore & ScheduleSlotStore & RunnerTaskStore & Required<Pick<JobStore, 'commitAndClaim'>> & { close(): Promise<void> };

export interface ContractContext {
  store(): ContractStore;
  add(kind: string, extra?: Record<string, unknown>): Promise<Job>;
  later(): number;
}

export function registerLifecycleContract(c: ContractContext): void {
  // the store is opened in the suite's beforeAll: c.store() reads it when a test runs
  const { add, later } = c;
  it('commits step results and state together, merging context shallowly', async () => {
    const kind = `k-${uid()}`;
    const job = await c.store().insertJob({ id: `job-${uid()}`, kind, params: {}, context: { keep: 1, nested: { a: 1 } } });
    const t = later();
    await c.store().claim({ owner: 'w', leaseMs: 60_000, kinds: [kind], now: t });
    const ok = await c.store().commit(
      job.job.id,
      'w',
      {
        state: 'queued',
        step: 'createImage',
        stepIndex: 2,
        context: { imageId: 'img-1', nested: { b: 2 } },
        attempt: 1,
        runAfter: t + 5,
        progress: { phase: 'saving' },
        error: { code: 'busy', message: 'retry later' },
      },
      ev('step.retry', { step: 'resolve', attempt: 1, requestIds: ['req-aaa', 'req-bbb'], data: { why: 'x' } }),
      t + 1,
    );
    expect(ok).toBe(true);
    expect(await c.store().getJob(job.job.id)).toMatchObject({
      state: 'queued',
      step: 'createImage',
      stepIndex: 2,
      attempt: 1,
      runAfter: t + 5,
      leaseOwner: null,
      context: { keep: 1, imageId: 'img-1', nested: { b: 2 } },
      progress: { phase: 'saving' },
      error: { code: 'busy', message: 'retry later' },
      finishedAt: null,
    });
    const last = (await c.store().listEvents(job.job.id)).at(-1);
    expect(last).toMatchObject({
      type: 'step.retry',
      fromState: 'running',
      toState: 'queued',
      step: 'resolve',
      attempt: 1,
      requestIds: ['req-aaa', 'req-bbb'],
      data: { why: 'x' },
      at: t + 1,
    });
    // commit needs the job to be running under that owner
    expect(await c.store().commit(job.job.id, 'w', done, ev('step.done'), t + 2)).toBe(false);
  });

  it('rejects transitions outside TRANSITIONS before touching the database', async () => {
    expect(TRANSITIONS.queued).toEqual(['running', 'cancelled']);
    expect(TRANSITIONS.succeeded).toEqual([]);
    const kind = `k-${uid()}`;
    const job = await add(kind);
    await expect(c.store().transition(job.id, 'queued', done, ev('x'))).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(c.store().transition(job.id, 'succeeded', { state: 'queued' }, ev('x'))).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(c.store().transition(job.id, 'waiting', { state: 'queued' }, ev('x'))).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(await c.store().getJob(job.id)).toEqual(job);
    expect((await c.store().listEvents(job.id)).map((e) => e.type)).toEqual(['submitted']);
    // a legal transition with the wrong expected state is refused by the guard
    expect(await c.store().transition(job.id, 'waiting', { state: 'cancelled' }, ev('cancelled'))).toBe(false);
  });

  it('cancels: flag once, then a guarded transition to cancelled', async () => {
    const kind = `k-${uid()}`;
    const job = await add(kind);
    const flagged = await c.store().requestCancel(job.id, undefined);
    expect(flagged).toMatchObject({ id: job.id, state: 'queued', cancelRequested: true });
    await c.store().requestCancel(job.id, undefined);
    expect((await c.store().listEvents(job.id)).map((e) => e.type)).toEqual(['submitted', 'cancel.requested']);
    const t = later();
    expect(await c.store().transition(job.id, 'queued', { state: 'cancelled' }, ev('cancelled', { toState: 'cancelled' }), t)).toBe(true);
    expect(await c.store().getJob(job.id)).toMatchObject({ state: 'cancelled', finishedAt: t });
    expect(await c.store().transition(job.id, 'queued', { state: 'cancelled' }, ev('cancelled'), t)).toBe(false);
    expect(await c.store().claim({ owner: 'w', leaseMs: 1000, kinds: [kind], now: t + 1 })).toBeNull();

    const other = await add(kind, { lockKey: `l-${uid()}` });
    await c.store().claim({ owner: 'w', leaseMs: 1000, jobId: other.id, now: t });
    await c.store().commit(other.id, 'w', done, ev('step.done'), t);
    expect(await c.store().requestCancel(other.id, undefined)).toMatchObject({ state: 'succeeded', cancelRequested: false });
    expect(await c.store().requestCancel(`missing-${uid()}`, undefined)).toBeNull();
  });

  it('treats a waiting or queued job whose cancel was requested as due now', async () => {
    const kind = `k-${uid()}`;
    const t = later();
    const o = { owner: 'w', leaseMs: 60_000, kinds: [kind], now: t };
    // waiting far in the future (a long wait after something was created)
    const w = await add(kind, { lockKey: `l-${uid()}` });
    expect((await c.store().claim(o))?.id).toBe(w.id);
    expect(await c.store().commit(w.id, 'w', { state: 'waiting', runAfter: t + 3_600_000 }, ev('step.wait'), t)).toBe(true);
    const queued = await add(kind, { runAfter: t + 3_600_000 });
    const untouched = await add(kind, { runAfter: t + 3_600_000 });
    expect(await c.store().claim(o)).toBeNull();
    expect(await c.store().claim({ ...o, jobId: w.id })).toBeNull();
    await c.store().requestCancel(w.id, ev('cancel.requested'), t);
    await c.store().requestCancel(queued.id, ev('cancel.requested'), t);
    // targeted (the engine's immediate dispatch) and untargeted (the tick) claims both see them
    expect(await c.store().claim({ ...o, jobId: w.id })).toMatchObject({ id: w.id, state: 'running', cancelRequested: true, runAfter: t + 3_600_000 });
    expect(await c.store().claim(o)).toMatchObject({ id: queued.id, state: 'running', cancelRequested: true });
    expect(await c.store().claim(o)).toBeNull();
    expect((await c.store().getJob(untouched.id))!.state).toBe('queued');
    // a running job whose cancel was requested is still not claimable while its lease holds
    const r = await add(kind);
    expect((await c.store().claim({ ...o, jobId: r.id }))?.id).toBe(r.id);
    await c.store().requestCancel(r.id, undefined, t);
    expect(await c.store().claim({ ...o, jobId: r.id })).toBeNull();
  });

  it('appends and pages events with request ids', async () => {
    const job = await add(`k-${uid()}`);
    await c.store().appendEvent(job.id, ev('note', { requestIds: ['req-1'], message: 'hello', data: { n: 1 } }));
    await c.store().appendEvent(job.id, ev('note2'));
    const all = await c.store().listEvents(job.id);
    expect(all.map((e) => e.type)).toEqual(['submitted', 'note', 'note2']);
    expect(all[1]).toMatchObject({ requestIds: ['req-1'], message: 'hello', data: { n: 1 } });
    expect((await c.store().listEvents(job.id, all[0]!.seq)).map((e) => e.type)).toEqual(['note', 'note2']);
    expect((await c.store().listEvents(job.id, 0, 1)).map((e) => e.type)).toEqual(['submitted']);
  });

  it('lists with filters and seq cursor pagination, newest first', async () => {
    const kind = `k-${uid()}`;
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await add(kind));
    const ids = jobs.map((j) => j.id).reverse();
    const p1 = await c.store().listJobs({ kind, limit: 2 });
    expect(p1.map((j) => j.id)).toEqual(ids.slice(0, 2));
    const p2 = await c.store().listJobs({ kind, limit: 2, before: p1.at(-1)!.seq });
    expect(p2.map((j) => j.id)).toEqual(ids.slice(2, 4));
    const p3 = await c.store().listJobs({ kind, limit: 2, before: p2.at(-1)!.seq });
    expect(p3.map((j) => j.id)).toEqual(ids.slice(4));
    await c.store().claim({ owner: 'w', leaseMs: 1000, jobId: jobs[0]!.id, now: later() });
    expect((await c.store().listJobs({ kind, state: 'running' })).map((j) => j.id)).toEqual([jobs[0]!.id]);
    expect(await c.store().listJobs({ kind, state: 'failed' })).toEqual([]);
  });
}
