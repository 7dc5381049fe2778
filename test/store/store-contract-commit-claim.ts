import { expect, it } from 'vitest';
import type { Job, JobPatch } from '../../shared/jobs/types';
import type { ContractContext } from './store-contract-lifecycle';
import { done, ev, uid } from './store-contract-support';

// commitAndClaim: a step's commit and the next claim in one atomic call. Same answers as
// commit() followed by claim(), including what the committed job still holds: a finished job
// frees its lock and its concurrency slot for the very claim that follows; a sleeping one
// keeps both; a job whose lease was lost commits nothing and still blocks.

export function registerCommitAndClaimContract(c: ContractContext): void {
  const { add, later } = c;
  const opts = (kind: string, now: number, owner = 'w') => ({ owner, leaseMs: 60_000, kinds: [kind], now });
  const cc = (job: Job, owner: string, patch: JobPatch, kind: string, now: number) =>
    c.store().commitAndClaim!(job.id, owner, patch, ev(patch.state === 'waiting' ? 'step.wait' : 'step.done'), opts(kind, now, owner), now);

  it('commits one job and claims the next in one call, with both events', async () => {
    const kind = `k-${uid()}`;
    const [a, b] = [await add(kind), await add(kind)];
    const t = later();
    expect((await c.store().claim(opts(kind, t)))?.id).toBe(a.id);
    const r = await cc(a, 'w', done, kind, t + 1);
    expect(r.committed).toBe(true);
    expect(r.next).toMatchObject({ id: b.id, state: 'running', leaseOwner: 'w', attempt: 1 });
    expect((await c.store().getJob(a.id))?.state).toBe('succeeded');
    expect((await c.store().listEvents(a.id)).map((e) => e.type)).toEqual(['submitted', 'claimed', 'step.done']);
    expect((await c.store().listEvents(b.id)).map((e) => e.type)).toEqual(['submitted', 'claimed']);
    const last = await cc(r.next!, 'w', done, kind, t + 2);
    expect(last).toEqual({ committed: true, next: null });
  });

  it('a finished job hands its lock to the next in line in the same call; a sleeping one keeps it', async () => {
    const kind = `k-${uid()}`;
    const lock = `srv-${uid()}`;
    const [a, b] = [await add(kind, { lockKey: lock }), await add(kind, { lockKey: lock })];
    const t = later();
    expect((await c.store().claim(opts(kind, t)))?.id).toBe(a.id);
    const asleep = await cc(a, 'w', { state: 'waiting', runAfter: t + 5 }, kind, t + 1);
    expect(asleep).toEqual({ committed: true, next: null });
    const woke = await c.store().claim(opts(kind, t + 10));
    expect(woke?.id).toBe(a.id);
    const r = await cc(woke!, 'w', done, kind, t + 11);
    expect(r.committed).toBe(true);
    expect(r.next?.id).toBe(b.id);
  });

  it('a finished job frees its concurrency slot for the same call; a sleeping one does not', async () => {
    const kind = `k-${uid()}`;
    const limited = { concurrencyKey: `proj-${uid()}`, concurrencyLimit: 1 };
    const [j1, j2] = [await add(kind, limited), await add(kind, limited)];
    const t = later();
    expect((await c.store().claim(opts(kind, t)))?.id).toBe(j1.id);
    expect(await cc(j1, 'w', { state: 'waiting', runAfter: t + 5 }, kind, t + 1)).toEqual({ committed: true, next: null });
    const again = await c.store().claim(opts(kind, t + 10));
    expect(again?.id).toBe(j1.id);
    const r = await cc(again!, 'w', done, kind, t + 11);
    expect(r.next?.id).toBe(j2.id);
    expect((await c.store().listJobs({ kind, state: 'running' })).map((j) => j.id)).toEqual([j2.id]);
  });

  it('never hands back the job it just committed, even when that job is due again at once', async () => {
    const kind = `k-${uid()}`;
    const a = await add(kind);
    const t = later();
    await c.store().claim(opts(kind, t));
    expect(await cc(a, 'w', { state: 'waiting', runAfter: t }, kind, t + 1)).toEqual({ committed: true, next: null });
    expect((await c.store().claim(opts(kind, t + 2)))?.id).toBe(a.id);
  });

  it('after a lost lease commits nothing, still claims, and the reclaimed job keeps blocking its lock', async () => {
    const kind = `k-${uid()}`;
    const lock = `srv-${uid()}`;
    const a = await add(kind, { lockKey: lock });
    const b = await add(kind, { lockKey: lock });
    const other = await add(kind);
    const t = later();
    await c.store().claim({ ...opts(kind, t, 'A'), leaseMs: 1_000 });
    const reclaimed = await c.store().claim({ ...opts(kind, t + 2_000, 'B'), leaseMs: 60_000 });
    expect(reclaimed?.id).toBe(a.id);
    const r = await cc(a, 'A', done, kind, t + 2_001);
    expect(r.committed).toBe(false);
    expect(r.next?.id).toBe(other.id);
    expect(await c.store().getJob(a.id)).toMatchObject({ state: 'running', leaseOwner: 'B' });
    expect((await c.store().listEvents(a.id)).map((e) => e.type)).not.toContain('step.done');
    expect((await c.store().getJob(b.id))?.state).toBe('queued');
  });
  it('with notStarted, passes over a due job that has started and takes the one that never did', async () => {
    const kind = `k-${uid()}`;
    const limited = { concurrencyKey: `proj-${uid()}`, concurrencyLimit: 2 };
    const [asleep, running, fresh] = [await add(kind, limited), await add(kind, limited), await add(kind, limited)];
    const t = later();
    expect((await c.store().claim(opts(kind, t)))?.id).toBe(asleep.id);
    expect((await c.store().claim(opts(kind, t)))?.id).toBe(running.id);
    expect(await cc(asleep, 'w', { state: 'waiting', runAfter: t + 5 }, kind, t + 1)).toEqual({ committed: true, next: null });
    // `asleep` is due and older than `fresh`; a plain hand-over would take it
    const r = await c.store().commitAndClaim!(running.id, 'w', done, ev('step.done'), { ...opts(kind, t + 10), notStarted: true }, t + 10);
    expect(r).toMatchObject({ committed: true, next: { id: fresh.id, state: 'running' } });
    expect((await c.store().getJob(asleep.id))?.state).toBe('waiting');
    expect(await c.store().claim({ ...opts(kind, t + 11), notStarted: true })).toBeNull();
    expect((await c.store().claim(opts(kind, t + 11)))?.id).toBe(asleep.id);
  });
}
