import { sql } from 'kysely';
import { withWriteTransaction } from './atomic';
import type { JobDb } from './job-db';
import { MIGRATIONS } from './migrations/all-migrations';

/**
 * Apply the numbered migrations not yet recorded in schema_migrations. Safe to call on every
 * start and from several instances at once: PostgreSQL serialises on an advisory lock,
 * SQLite on its write lock (BEGIN IMMEDIATE), and D1 statements are all IF NOT EXISTS.
 */
export async function migrateJobDb(jdb: JobDb, now: () => number = Date.now): Promise<void> {
  await jdb.db.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', jdb.dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute()
    .catch(async (err: unknown) => {
      // Two PostgreSQL instances racing on CREATE TABLE IF NOT EXISTS can still collide on
      // the catalog's unique index; the loser just checks the table is there now.
      await jdb.db
        .selectFrom('schema_migrations')
        .select('version')
        .limit(1)
        .execute()
        .catch(() => {
          throw err;
        });
    });

  await withWriteTransaction(jdb, async (db) => {
    if (jdb.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('snapflow:migrate'))`.execute(db);
    const applied = new Set((await db.selectFrom('schema_migrations').select('version').execute()).map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await m.up(db, jdb.dialect);
      await db
        .insertInto('schema_migrations')
        .values({ version: m.version, name: m.name, applied_at: now() })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  });
}
