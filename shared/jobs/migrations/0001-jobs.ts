import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';

// One schema for the three dialects; only the types differ (jsonb vs TEXT, bigserial vs
// INTEGER PRIMARY KEY). Every statement is IF NOT EXISTS so a half-applied migration on D1
// (no DDL transactions there) can simply be re-run.
export const version = 1;
export const name = 'jobs';

export async function up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void> {
  const pg = dialect === 'postgres';
  const json = pg ? 'jsonb' : 'text';
  const ms = pg ? 'bigint' : 'integer';

  await db.schema
    .createTable('jobs')
    .ifNotExists()
    .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('step', 'text')
    .addColumn('step_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('phase', 'text', (c) => c.notNull().defaultTo('run'))
    .addColumn('params', sql.raw(json))
    .addColumn('context', sql.raw(json), (c) => c.notNull())
    .addColumn('result', sql.raw(json))
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_after', sql.raw(ms), (c) => c.notNull())
    .addColumn('deadline', sql.raw(ms))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', sql.raw(ms))
    .addColumn('idempotency_key', 'text')
    .addColumn('lock_key', 'text')
    .addColumn('concurrency_key', 'text')
    .addColumn('concurrency_limit', 'integer')
    .addColumn('requested_by', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', sql.raw(json))
    .addColumn('progress', sql.raw(json))
    .addColumn('created_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('started_at', sql.raw(ms))
    .addColumn('finished_at', sql.raw(ms))
    .addCheckConstraint('jobs_state_check', sql`state in ('queued','running','waiting','succeeded','failed','cancelled')`)
    .execute();

  // Few indexes on purpose: every claim/commit is a non-HOT update that writes each of them.
  // Partial, so the many jobs without a key cost no index entry; INSERT … ON CONFLICT DO
  // NOTHING (no target) still resolves against it in all three dialects.
  await sql`create unique index if not exists jobs_idempotency_key on jobs (idempotency_key)
    where idempotency_key is not null`.execute(db);
  // Partial indexes keep the claim scan and the lock/limit probes on unfinished rows only.
  await sql`create index if not exists jobs_unfinished_seq on jobs (seq)
    where state in ('queued','running','waiting')`.execute(db);
  // claims filtered by kind: without this the (kind, seq) index walks every finished job
  await sql`create index if not exists jobs_unfinished_kind_seq on jobs (kind, seq)
    where state in ('queued','running','waiting')`.execute(db);
  await sql`create index if not exists jobs_lock_key_seq on jobs (lock_key, seq)
    where lock_key is not null and state in ('queued','running','waiting')`.execute(db);
  await sql`create index if not exists jobs_concurrency_started on jobs (concurrency_key)
    where concurrency_key is not null and started_at is not null and state in ('queued','running','waiting')`.execute(db);

  await db.schema
    .createTable('job_events')
    .ifNotExists()
    .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('at', sql.raw(ms), (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text')
    .addColumn('step', 'text')
    .addColumn('attempt', 'integer')
    .addColumn('message', 'text')
    .addColumn('request_ids', sql.raw(json), (c) => c.notNull())
    .addColumn('data', sql.raw(json))
    .execute();
  await sql`create index if not exists job_events_job_seq on job_events (job_id, seq)`.execute(db);

  await db.schema
    .createTable('schedule_slots')
    .ifNotExists()
    .addColumn('schedule', 'text', (c) => c.notNull())
    .addColumn('slot', sql.raw(ms), (c) => c.notNull())
    .addColumn('fired_at', sql.raw(ms), (c) => c.notNull())
    .addPrimaryKeyConstraint('schedule_slots_pk', ['schedule', 'slot'])
    .execute();
}
