import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';

// PostgreSQL only: the claim scan no longer walks running jobs. With the 0001 indexes a
// claimed job stayed in the (kind, seq) scan range until it finished, so every claim
// heap-fetched and rejected each running job older than the queue head (long snapshot jobs
// ahead of thousands of queued ones: 0.65 ms instead of 0.18 ms of server CPU per claim),
// and every claim wrote two partial index entries for the new running row version.
// Ready jobs (queued/waiting) now have their own scan indexes; an expired lease is found
// through a small index on running jobs' lease expiry (see claim.ts, two SKIP LOCKED
// branches). SQLite/D1 keep the 0001 indexes: their claim is one ordered scan over all
// unfinished jobs, and a partial index is only usable when the WHERE implies it.
export const version = 2;
export const name = 'pg-claim-indexes';

export async function up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create index if not exists jobs_ready_seq on jobs (seq)
    where state in ('queued','waiting')`.execute(db);
  await sql`create index if not exists jobs_ready_kind_seq on jobs (kind, seq)
    where state in ('queued','waiting')`.execute(db);
  await sql`create index if not exists jobs_running_lease on jobs (lease_expires_at)
    where state = 'running'`.execute(db);
  await sql`drop index if exists jobs_unfinished_seq`.execute(db);
  await sql`drop index if exists jobs_unfinished_kind_seq`.execute(db);
}
