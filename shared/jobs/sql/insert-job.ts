import { sql } from 'kysely';
import type { JobDb } from '../job-db';
import { runAtomic } from '../atomic';
import { jsonParam, rowToJob } from '../row-mapping';
import type { Job, NewJob, NewJobEvent } from '../types';
import { getJob, getJobByIdempotencyKey } from './get-job';
import { insertEventSelect, textValue } from './event-insert';

/**
 * INSERT … ON CONFLICT DO NOTHING, then (only when a row was inserted) the `submitted`
 * event, atomically. A racing duplicate idempotency key loses on the unique index and gets
 * the winner's row back with created=false.
 */
export async function insertJob(
  jdb: JobDb,
  job: NewJob,
  event: NewJobEvent | undefined,
  now: number,
): Promise<{ job: Job; created: boolean }> {
  if (!job.id || !job.kind) throw new Error('insertJob: id and kind are required');
  const values = {
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
  const ev: NewJobEvent = event ?? {
    type: 'submitted',
    fromState: null,
    toState: 'queued',
    step: null,
    attempt: null,
    message: null,
    requestIds: [],
    data: job.requestedBy ? { requestedBy: job.requestedBy } : null,
  };
  const insert = jdb.db.insertInto('jobs').values(values).onConflict((oc) => oc.doNothing());

  let inserted: Record<string, unknown> | undefined;
  if (jdb.dialect === 'postgres') {
    // One statement: the event CTE reads the INSERT's RETURNING, so it exists iff the job does.
    const evSql = insertEventSelect(jdb.dialect, ev, now, { jobId: sql`ins.id` }, sql`from ins`);
    const rows = await sql`with ins as (${insert.returningAll()}), ev as (${evSql}) select * from ins`.execute(jdb.db);
    inserted = rows.rows[0] as Record<string, unknown> | undefined;
  } else {
    // The event is inserted only for a job row that has no history yet, i.e. the one just
    // written in this same batch (a conflicting insert leaves the earlier job's events alone).
    const evSql = insertEventSelect(
      jdb.dialect,
      ev,
      now,
      { jobId: textValue(job.id) },
      sql`from jobs where id = ${job.id} and not exists (select 1 from job_events where job_id = ${job.id})`,
    );
    const [rows] = await runAtomic(jdb, [insert.returningAll().compile(), evSql.compile(jdb.db)]);
    inserted = rows?.[0];
  }
  if (inserted) return { job: rowToJob(jdb.dialect, inserted), created: true };

  // the conflict was on the idempotency key, or else on the id itself
  const existing =
    (job.idempotencyKey ? await getJobByIdempotencyKey(jdb, job.idempotencyKey) : null) ?? (await getJob(jdb, job.id));
  if (!existing) throw new Error('insertJob: conflicting row vanished (deleted concurrently?)');
  return { job: existing, created: false };
}
