// The job store contract, third part: "insert unless an unfinished job holds the lock key"
// as one atomic operation (a busy server answers 409 instead of queueing a second job on
// one VM), lock aliases (a server's jobs listed by name or id), and revoking the leases of a
// dead predecessor. Registered inside runStoreContract's describe, so it runs on SQLite,
// PostgreSQL and D1.
import { expect, it } from 'vitest';
import type { InsertUnlessLockedResult, Job } from '../../shared/jobs/types';
import type { ContractContext } from './store-contract-lifecycle';
import { done, ev, uid } from './store-contract-support';

const RACERS = 20;

export function registerLocksContract(c: ContractContext): void {
  const exclusive = (kind: string, lockKey: string | null, extra: Record<string, unknown> = {}) =>
    c.store().insertUnlessLocked({ id: `job-${uid()}`, kind, params: { n: 1 }, lockKey, ...extra });
  const created = (r: InsertUnlessLockedResult): Job => {
    if (r.outcome !== 'created') throw new Error(`expected a new job, got ${r.outcome}`);
    return r.job;
  };

  it('insertUnlessLocked: inserts for a free key, answers the holder while it is unfinished, inserts again once it ended', async () => {
    const kind = `k-${uid()}`;
    const lock = `cloud/${uid()}`;
    const first = created(await exclusive(kind, lock, { lockAlias: 'cloud/web', requestedBy: 'alice' }));
    expect(first).toMatchObject({ kind, state: 'queued', lockKey: lock, lockAlias: 'cloud/web', requestedBy: 'alice' });
    expect((await c.store().listEvents(first.id)).map((e) => e.type)).toEqual(['submitted']);

    const busy = await exclusive(kind, lock);
    expect(busy).toEqual({ outcome: 'busy', holder: first });
    // a refused insert writes nothing
    expect((await c.store().listJobs({ kind })).map((j) => j.id)).toEqual([first.id]);

    // a job queued behind the holder (insertJob) does not make it the holder
    const queued = await c.add(kind, { lockKey: lock });
    const t = c.later();
    expect((await c.store().claim({ owner: 'w', leaseMs: 60_000, kinds: [kind], now: t }))?.id).toBe(first.id);
    expect(await exclusive(kind, lock)).toMatchObject({ outcome: 'busy', holder: { id: first.id, state: 'running' } });
    expect(await c.store().commit(first.id, 'w', done, ev('step.done'), t)).toBe(true);
    expect(await exclusive(kind, lock)).toMatchObject({ outcome: 'busy', holder: { id: queued.id } });
    expect(await c.store().transition(queued.id, 'queued', { state: 'cancelled' }, ev('cancelled'))).toBe(true);
    const next = created(await exclusive(kind, lock));
    expect(next.id).not.toBe(first.id);
    // other keys, and jobs without a key, are never held up
    created(await exclusive(kind, `cloud/${uid()}`));
    created(await exclusive(kind, null));
    created(await exclusive(kind, null));
  });

  it('insertUnlessLocked: a used idempotency key returns its job even while the key is held; a new key is refused', async () => {
    const kind = `k-${uid()}`;
    const lock = `cloud/${uid()}`;
    const key = `idem-${uid()}`;
    const first = created(await exclusive(kind, lock, { idempotencyKey: key }));
    expect(await exclusive(kind, lock, { idempotencyKey: key, params: { other: true } })).toEqual({ outcome: 'replayed', job: first });
    // the same key for another lock: still the first job (the caller compares the request)
    expect(await exclusive(kind, `cloud/${uid()}`, { idempotencyKey: key })).toEqual({ outcome: 'replayed', job: first });
    const refused = await exclusive(kind, lock, { idempotencyKey: `idem-${uid()}` });
    expect(refused).toMatchObject({ outcome: 'busy', holder: { id: first.id } });
    expect(await c.store().listJobs({ kind })).toHaveLength(1);
    expect(await c.store().listEvents(first.id)).toHaveLength(1);
  });

  it(`insertUnlessLocked: of ${RACERS} racing inserts for one idle key exactly one is created, the others name it`, async () => {
    const kind = `k-${uid()}`;
    const lock = `cloud/${uid()}`;
    const results = await Promise.all(Array.from({ length: RACERS }, () => exclusive(kind, lock)));
    const winners = results.filter((r) => r.outcome === 'created');
    expect(winners).toHaveLength(1);
    const winner = created(winners[0]!);
    expect(results.filter((r) => r.outcome === 'busy').map((r) => (r.outcome === 'busy' ? r.holder.id : null))).toEqual(
      Array.from({ length: RACERS - 1 }, () => winner.id),
    );
    expect(await c.store().listJobs({ kind })).toHaveLength(1);
  });

  it('insertUnlessLocked: racing inserts for a server named by name and by id lock one key: one created, one busy', async () => {
    const kind = `k-${uid()}`;
    const id = crypto.randomUUID();
    // as submitted after resolving: the key is the id, the alias the name
    const [a, b] = await Promise.all([
      exclusive(kind, `cloud/${id}`, { lockAlias: 'cloud/web', params: { server: 'web' } }),
      exclusive(kind, `cloud/${id}`, { lockAlias: 'cloud/web', params: { server: id } }),
    ]);
    expect([a!.outcome, b!.outcome].sort()).toEqual(['busy', 'created']);
    const winner = a!.outcome === 'created' ? a!.job : b!.outcome === 'created' ? b!.job : null;
    expect([a, b].find((r) => r!.outcome === 'busy')).toMatchObject({ holder: { id: winner!.id } });
    // listed by either spelling
    expect((await c.store().listJobs({ lockKeyOrAlias: `cloud/${id}` })).map((j) => j.id)).toEqual([winner!.id]);
    expect((await c.store().listJobs({ kind, lockKeyOrAlias: 'cloud/web' })).map((j) => j.id)).toEqual([winner!.id]);
    expect(await c.store().listJobs({ kind, lockKey: 'cloud/web' })).toEqual([]);
  });

  it('an alias is only kept with a lock key', async () => {
    const kind = `k-${uid()}`;
    const { job } = await c.store().insertJob({ id: `job-${uid()}`, kind, params: {}, lockAlias: 'cloud/web' });
    expect(job).toMatchObject({ lockKey: null, lockAlias: null });
  });

  it('revokeLeases: expires the live leases of the given kinds but not the caller’s own; the next claim takes them back', async () => {
    const kind = `k-${uid()}`;
    const otherKind = `k-${uid()}`;
    const [a, b, mine, waiting] = [await c.add(kind), await c.add(kind), await c.add(kind), await c.add(kind)];
    const foreign = await c.add(otherKind);
    const t = c.later();
    const take = (owner: string, jobId: string, k = kind) => c.store().claim({ owner, leaseMs: 60_000, kinds: [k], now: t, jobId });
    for (const j of [a, b, waiting]) expect((await take('dead', j.id))?.id).toBe(j.id);
    expect((await take('me', mine.id))?.id).toBe(mine.id);
    expect((await take('dead', foreign.id, otherKind))?.id).toBe(foreign.id);
    expect(await c.store().commit(waiting.id, 'dead', { state: 'waiting', runAfter: t + 3_600_000 }, ev('step.wait'), t)).toBe(true);

    const n = await c.store().revokeLeases({ kinds: [kind], exceptOwner: 'me', now: t + 10, message: 'restarted' });
    expect(n).toBe(2);
    for (const j of [a, b]) {
      expect(await c.store().getJob(j.id)).toMatchObject({ state: 'running', leaseOwner: 'dead', leaseExpiresAt: t + 10 });
      expect((await c.store().listEvents(j.id)).at(-1)).toMatchObject({
        type: 'lease.revoked',
        fromState: 'running',
        toState: 'running',
        attempt: 1,
        message: 'restarted',
        at: t + 10,
        data: { owner: 'dead' },
      });
    }
    expect(await c.store().getJob(mine.id)).toMatchObject({ leaseOwner: 'me', leaseExpiresAt: t + 60_000 });
    expect(await c.store().getJob(foreign.id)).toMatchObject({ leaseOwner: 'dead', leaseExpiresAt: t + 60_000 });
    expect(await c.store().getJob(waiting.id)).toMatchObject({ state: 'waiting', leaseOwner: null });
    // nothing left to revoke
    expect(await c.store().revokeLeases({ kinds: [kind], exceptOwner: 'me', now: t + 20 })).toBe(0);

    const back = await c.store().claim({ owner: 'me', leaseMs: 60_000, kinds: [kind], now: t + 20 });
    expect(back).toMatchObject({ id: a.id, leaseOwner: 'me', attempt: 2 });
    expect((await c.store().listEvents(a.id)).map((e) => e.type)).toEqual(['submitted', 'claimed', 'lease.revoked', 'lease.expired', 'claimed']);
    // the dead owner's late commit is refused
    expect(await c.store().commit(a.id, 'dead', done, ev('step.done'), t + 30)).toBe(false);
  });
}
