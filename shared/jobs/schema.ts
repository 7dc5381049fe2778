import type { Generated } from 'kysely';

// Row shapes as the drivers return them. Timestamps are epoch ms everywhere (PostgreSQL
// int8 is parsed to number by the pool's type parser). JSON columns are TEXT on
// SQLite/D1 and jsonb on PostgreSQL, hence `unknown`: row-mapping decodes them.

export interface JobsTable {
  seq: Generated<number>;
  id: string;
  kind: string;
  state: string;
  step: string | null;
  step_index: number;
  phase: string;
  params: unknown;
  context: unknown;
  result: unknown;
  attempt: number;
  run_after: number;
  deadline: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  idempotency_key: string | null;
  lock_key: string | null;
  /** Added by migration 0004. */
  lock_alias: string | null;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  requested_by: string | null;
  cancel_requested: number;
  error: unknown;
  progress: unknown;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface JobEventsTable {
  seq: Generated<number>;
  job_id: string;
  at: number;
  type: string;
  from_state: string | null;
  to_state: string | null;
  step: string | null;
  attempt: number | null;
  message: string | null;
  request_ids: unknown;
  data: unknown;
}

export interface ScheduleSlotsTable {
  schedule: string;
  slot: number;
  fired_at: number;
  owner: string | null;
  finished_at: number | null;
  /** JSON text on SQLite/D1, jsonb on PostgreSQL */
  job_ids: unknown;
  errors: unknown;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** Added by migration 0005 (shared/jobs/runner-task.ts). JSON columns as for jobs. */
export interface RunnerTasksTable {
  seq: Generated<number>;
  id: string;
  job_id: string;
  step: string;
  task_key: string;
  state: string;
  attempt: number;
  failures: number;
  max_attempts: number;
  deadline: number | null;
  source: unknown;
  clean: unknown;
  target: unknown;
  scopes: unknown;
  lease_owner: string | null;
  lease_token_hash: string | null;
  lease_expires_at: number | null;
  phase: string | null;
  bytes_done: number;
  bytes_total: number;
  result: unknown;
  error: unknown;
  created_at: number;
  updated_at: number;
  claimed_at: number | null;
  heartbeat_at: number | null;
  finished_at: number | null;
}

export interface JobTables {
  jobs: JobsTable;
  runner_tasks: RunnerTasksTable;
  job_events: JobEventsTable;
  schedule_slots: ScheduleSlotsTable;
  schema_migrations: SchemaMigrationsTable;
}

export type JobRow = Omit<JobsTable, 'seq'> & { seq: number };
export type JobEventRow = Omit<JobEventsTable, 'seq'> & { seq: number };
