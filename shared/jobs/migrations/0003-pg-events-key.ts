import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';

// PostgreSQL only: job_events is keyed by (job_id, seq), the order every reader uses (a job's
// history, a long-poll after a seq), instead of seq alone plus a second (job_id, seq) index.
// Every event insert (two per job at least) then writes one btree instead of two. Measured
// on one connection as in bench/hand-over.ts (hand-over, 4,000 jobs, 3 runs alternating):
// PG CPU per job 0.265-0.318 ms -> 0.233-0.295 ms. SQLite/D1 keep theirs: seq is the rowid
// there (no index of its own), so (job_id, seq) is already their only index.
export const version = 3;
export const name = 'pg-events-key';

export async function up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`alter table job_events drop constraint if exists job_events_pkey`.execute(db);
  await sql`alter table job_events add constraint job_events_pkey primary key (job_id, seq)`.execute(db);
  await sql`drop index if exists job_events_job_seq`.execute(db);
}
