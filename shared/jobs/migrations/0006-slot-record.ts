import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';

// A schedule slot is a record of the firing, not only a first-writer flag: who fires it (so
// another instance can take over a firing whose instance died), when it finished, and the
// jobs it made or why it could not (GET /v1/schedules shows the last run and its outcome).
export const version = 6;
export const name = 'slot-record';

const COLUMNS: [string, string, string][] = [
  // [column, PostgreSQL type, SQLite type]
  ['owner', 'text', 'text'],
  ['finished_at', 'bigint', 'integer'],
  ['job_ids', 'jsonb', 'text'],
  ['errors', 'jsonb', 'text'],
];

export async function up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void> {
  if (dialect === 'postgres') {
    for (const [col, pg] of COLUMNS) await sql`alter table schedule_slots add column if not exists ${sql.raw(col)} ${sql.raw(pg)}`.execute(db);
    return;
  }
  // SQLite has no ADD COLUMN IF NOT EXISTS; D1 (no DDL transactions) may re-run a half-applied migration.
  const have = new Set((await sql<{ name: string }>`select name from pragma_table_info('schedule_slots')`.execute(db)).rows.map((r) => r.name));
  for (const [col, , lite] of COLUMNS) {
    if (!have.has(col)) await sql`alter table schedule_slots add column ${sql.raw(col)} ${sql.raw(lite)}`.execute(db);
  }
}
