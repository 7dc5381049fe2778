import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';

// Runner tasks (shared/jobs/runner-task.ts), in the jobs' database so that a task's outcome
// and its job's wake-up are one transaction. Types as in 0001; every statement IF NOT EXISTS
// (D1 has no DDL transactions, a half-applied run is simply re-run).
export const version = 5;
export const name = 'runner-tasks';

export async function up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void> {
  const pg = dialect === 'postgres';
  const json = sql.raw(pg ? 'jsonb' : 'text');
  const ms = sql.raw(pg ? 'bigint' : 'integer');

  await db.schema
    .createTable('runner_tasks')
    .ifNotExists()
    .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('task_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('deadline', ms)
    .addColumn('source', json, (c) => c.notNull())
    .addColumn('clean', json, (c) => c.notNull())
    .addColumn('target', json, (c) => c.notNull())
    .addColumn('scopes', json, (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_token_hash', 'text')
    .addColumn('lease_expires_at', ms)
    .addColumn('phase', 'text')
    .addColumn('bytes_done', ms, (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_total', ms, (c) => c.notNull().defaultTo(0))
    .addColumn('result', json)
    .addColumn('error', json)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addColumn('claimed_at', ms)
    .addColumn('heartbeat_at', ms)
    .addColumn('finished_at', ms)
    .addCheckConstraint('runner_tasks_state_check', sql`state in ('queued','leased','done','failed','cancelled')`)
    .execute();

  // A retried step finds its task by (job, step, key); the cancel of a job walks its prefix.
  await sql`create unique index if not exists runner_tasks_job_step_key on runner_tasks (job_id, step, task_key)`.execute(db);
  // Claims scan open tasks oldest first; finished ones cost no index entry.
  await sql`create index if not exists runner_tasks_open_seq on runner_tasks (seq) where state in ('queued','leased')`.execute(db);
}
