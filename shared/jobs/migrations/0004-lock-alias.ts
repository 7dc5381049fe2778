import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';

// Jobs lock on `<cloud>/<server id>` once the server is resolved at submission, so the lock
// key no longer holds the server's name; lock_alias keeps `<cloud>/<server name>` so that
// `GET /v1/jobs?cloud=&server=` finds a server's jobs by its name as well as by its id.
// No index: only that listing reads it, and every claim and commit of a job (non-HOT updates
// on PostgreSQL) would pay for one.
export const version = 4;
export const name = 'lock-alias';

export async function up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table jobs add column if not exists lock_alias text`.execute(db);
    return;
  }
  // SQLite has no ADD COLUMN IF NOT EXISTS; on D1 (no DDL transactions) a half-applied run of
  // this migration is re-run, and then finds the column there.
  const cols = await sql<{ name: string }>`select name from pragma_table_info('jobs')`.execute(db);
  if (!cols.rows.some((c) => c.name === 'lock_alias')) await sql`alter table jobs add column lock_alias text`.execute(db);
}
