import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb } from '../job-db';
import { jsonParam, rowToJob } from '../row-mapping';
import type { JobTables } from '../schema';
import type { Job, NewJob, NewJobEvent } from '../types';
import { insertEventSelect, textValue } from './event-insert';
import { getJob, getJobByIdempotencyKey } from './get-job';

type Row = Record<string, unknown>;

/** The jobs row of a new job (every column but seq). */
export function newJobRow(job: NewJob, now: number) {
  if (!job.id || !job.kind) throw new Error('insertJob: id and kind are required');
  return {
    id: job.id,
    kind: job.kind,
    state: 'queued',
    step: null,
    step_index: 0,
    phase: 'run',
    params: jsonParam(job.params ?? null),
    context: jsonParam(job.context ?? {}),
    result: null,
    attempt: 0,
    run_after: job.runAfter ?? now,
    deadline: job.deadline ?? null,
    lease_owner: null,
    lease_expires_at: null,
    idempotency_key: job.idempotencyKey ?? null,
    lock_key: job.lockKey ?? null,
    // an alias names the lock's target, so it means nothing without a lock
    lock_alias: job.lockKey ? (job.lockAlias ?? null) : null,
    concurrency_key: job.concurrencyKey ?? null,
    concurrency_limit: job.concurrencyLimit ?? null,
    requested_by: job.requestedBy ?? null,
    cancel_requested: 0,
    error: null,
    progress: null,
    created_at: now,
    updated_at: now,
    started_at: null,
    finished_at: null,
  };
}

export function submittedEvent(job: NewJob, event: NewJobEvent | undefined): NewJobEvent {
  return (
    event ?? {
      type: 'submitted',
      fromState: null,
      toState: 'queued',
      step: null,
      attempt: null,
      message: null,
      requestIds: [],
      data: job.requestedBy ? { requestedBy: job.requestedBy } : null,
    }
  );
}

/**
 * SQLite / D1: the `submitted` event, for a batch after the job's INSERT. It is written only
 * for a job row that has no history yet, i.e. the one just inserted in this same batch (a
 * conflicting insert leaves the earlier job's events alone).
 */
export function submittedEventStatement(jdb: JobDb, jobId: string, ev: NewJobEvent, now: number): CompiledQuery {
  return insertEventSelect(
    jdb.dialect,
    ev,
    now,
    { jobId: textValue(jobId) },
    sql`from jobs where id = ${jobId} and not exists (select 1 from job_events where job_id = ${jobId})`,
  ).compile(jdb.db);
}

/**
 * PostgreSQL, on `db` (the pool or a transaction): ONE statement whose event CTE reads the
 * INSERT's RETURNING, so the event exists iff the job does. The row, or undefined on conflict.
 */
export async function insertJobPg(jdb: JobDb, db: Kysely<JobTables>, job: NewJob, ev: NewJobEvent, now: number): Promise<Row | undefined> {
  const insert = jdb.db
    .insertInto('jobs')
    .values(newJobRow(job, now))
    .onConflict((oc) => oc.doNothing());
  const evSql = insertEventSelect(jdb.dialect, ev, now, { jobId: sql`ins.id` }, sql`from ins`);
  const rows = await sql`with ins as (${insert.returningAll()}), ev as (${evSql}) select * from ins`.execute(db);
  return rows.rows[0] as Row | undefined;
}

/** After an insert that wrote nothing: the conflict was on the idempotency key, or else on the id itself. */
export async function conflictingJob(jdb: JobDb, job: NewJob): Promise<Job> {
  const existing = (job.idempotencyKey ? await getJobByIdempotencyKey(jdb, job.idempotencyKey) : null) ?? (await getJob(jdb, job.id));
  if (!existing) throw new Error('insertJob: conflicting row vanished (deleted concurrently?)');
  return existing;
}

/**
 * INSERT … ON CONFLICT DO NOTHING, then (only when a row was inserted) the `submitted`
 * event, atomically. A racing duplicate idempotency key loses on the unique index and gets
 * the winner's row back with created=false.
 */
export async function insertJob(jdb: JobDb, job: NewJob, event: NewJobEvent | undefined, now: number): Promise<{ job: Job; created: boolean }> {
  const ev = submittedEvent(job, event);
  let inserted: Row | undefined;
  if (jdb.dialect === 'postgres') inserted = await insertJobPg(jdb, jdb.db, job, ev, now);
  else {
    const insert = jdb.db
      .insertInto('jobs')
      .values(newJobRow(job, now))
      .onConflict((oc) => oc.doNothing());
    const [rows] = await runAtomic(jdb, [insert.returningAll().compile(), submittedEventStatement(jdb, job.id, ev, now)]);
    inserted = rows?.[0];
  }
  if (inserted) return { job: rowToJob(jdb.dialect, inserted), created: true };
  return { job: await conflictingJob(jdb, job), created: false };
}
