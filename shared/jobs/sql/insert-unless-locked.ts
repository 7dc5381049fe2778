import type { CompiledQuery } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb } from '../job-db';
import { rowToJob } from '../row-mapping';
import type { InsertUnlessLockedResult, NewJob, NewJobEvent } from '../types';
import { conflictingJob, insertJob, insertJobPg, newJobRow, submittedEvent, submittedEventStatement } from './insert-job';

type Row = Record<string, unknown>;
const UNFINISHED = sql.raw(`('queued','running','waiting')`);

/**
 * "Insert unless an unfinished job holds this lock key" as ONE atomic operation: a check
 * and an insert as two statements let every one of N racing submissions for an idle server
 * see it idle and insert (N jobs acting on one VM).
 * - SQLite / D1: one BEGIN IMMEDIATE transaction / one D1 batch: [the idempotency key's job,
 *   the lock's holder, INSERT … SELECT … WHERE NOT EXISTS (an unfinished job of the key),
 *   the event]. The write lock serialises whole batches, so the reads and the guarded insert
 *   see the same table.
 * - PostgreSQL: READ COMMITTED lets two `INSERT … WHERE NOT EXISTS` statements both see no
 *   holder. A transaction-scoped advisory lock on the key serialises the inserters of one
 *   key; each statement after it takes a new snapshot, which holds every insert committed by
 *   an earlier holder of the advisory lock (it commits before releasing it).
 */
export async function insertUnlessLocked(jdb: JobDb, job: NewJob, event: NewJobEvent | undefined, now: number): Promise<InsertUnlessLockedResult> {
  const lockKey = job.lockKey;
  if (!lockKey) {
    const r = await insertJob(jdb, job, event, now);
    return r.created ? { outcome: 'created', job: r.job } : { outcome: 'replayed', job: r.job };
  }
  const ev = submittedEvent(job, event);
  return jdb.dialect === 'postgres' ? insertPg(jdb, job, lockKey, ev, now) : insertBatch(jdb, job, lockKey, ev, now);
}

function holderQuery(lockKey: string) {
  return sql`select * from jobs where lock_key = ${lockKey} and state in ${UNFINISHED} order by seq limit 1`;
}

async function insertBatch(jdb: JobDb, job: NewJob, lockKey: string, ev: NewJobEvent, now: number): Promise<InsertUnlessLockedResult> {
  const row = newJobRow(job, now);
  const cols = Object.keys(row) as (keyof typeof row)[];
  const statements: CompiledQuery[] = [];
  if (job.idempotencyKey) statements.push(sql`select * from jobs where idempotency_key = ${job.idempotencyKey}`.compile(jdb.db));
  statements.push(
    holderQuery(lockKey).compile(jdb.db),
    // INSERT … SELECT needs its WHERE for SQLite to parse the ON CONFLICT clause after it
    sql`insert into jobs (${sql.join(cols.map((c) => sql.ref(c)))})
      select ${sql.join(cols.map((c) => sql`${row[c]}`))}
      where not exists (select 1 from jobs where lock_key = ${lockKey} and state in ${UNFINISHED})
      on conflict do nothing returning *`.compile(jdb.db),
    submittedEventStatement(jdb, job.id, ev, now),
  );
  const results = await runAtomic(jdb, statements);
  const [replayed, holder, inserted] = job.idempotencyKey ? results : [[], ...results];
  return verdict(jdb, job, replayed?.[0], holder?.[0], inserted?.[0]);
}

async function insertPg(jdb: JobDb, job: NewJob, lockKey: string, ev: NewJobEvent, now: number): Promise<InsertUnlessLockedResult> {
  return jdb.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`snapflow:lock:${lockKey}`}))`.execute(trx);
    const replayed = job.idempotencyKey
      ? ((await sql`select * from jobs where idempotency_key = ${job.idempotencyKey}`.execute(trx)).rows[0] as Row | undefined)
      : undefined;
    if (replayed) return verdict(jdb, job, replayed, undefined, undefined);
    const holder = (await holderQuery(lockKey).execute(trx)).rows[0] as Row | undefined;
    if (holder) return verdict(jdb, job, undefined, holder, undefined);
    return verdict(jdb, job, undefined, undefined, await insertJobPg(jdb, trx, job, ev, now));
  });
}

async function verdict(jdb: JobDb, job: NewJob, replayed?: Row, holder?: Row, inserted?: Row): Promise<InsertUnlessLockedResult> {
  if (replayed) return { outcome: 'replayed', job: rowToJob(jdb.dialect, replayed) };
  if (holder) return { outcome: 'busy', holder: rowToJob(jdb.dialect, holder) };
  if (inserted) return { outcome: 'created', job: rowToJob(jdb.dialect, inserted) };
  // A plain insertJob() of the same idempotency key raced in, or the id was taken already.
  return { outcome: 'replayed', job: await conflictingJob(jdb, job) };
}
