import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { JobDb } from './job-db';
import type { JobTables } from './schema';
import { runSqliteBatch } from './sqlite-batch';

type Rows = Record<string, unknown>[];

/**
 * Run statements as ONE transaction and return each statement's rows.
 * SQLite: BEGIN IMMEDIATE so the write lock is taken before the first read (a deferred
 * transaction that upgrades fails with SQLITE_BUSY under WAL instead of waiting).
 * D1: batch(), which D1 runs atomically (it has no interactive transactions).
 * PostgreSQL: a Kysely transaction.
 */
export async function runAtomic(jdb: JobDb, queries: CompiledQuery[]): Promise<Rows[]> {
  if (jdb.dialect === 'd1') {
    const d1 = jdb.d1;
    if (!d1) throw new Error('D1 job store needs the raw D1 binding for atomic batches');
    const res = await d1.batch(queries.map((q) => d1.prepare(q.sql).bind(...q.parameters)));
    return res.map((r) => (r.results ?? []) as Rows);
  }
  const raw = jdb.sqlite;
  if (jdb.dialect === 'sqlite' && raw) {
    // the connection() reservation keeps Kysely's own queries off the handle meanwhile
    return jdb.db.connection().execute(async () => runSqliteBatch(raw, queries, jdb.busyTimeoutMs ?? 10_000));
  }
  return withWriteTransaction(jdb, async (db) => {
    const out: Rows[] = [];
    for (const q of queries) out.push((await db.executeQuery(q)).rows as Rows);
    return out;
  });
}

/**
 * Interactive write transaction for PostgreSQL and SQLite. On D1 the callback runs without
 * a transaction: only used for idempotent steps (migrations), everything else uses runAtomic.
 */
export async function withWriteTransaction<T>(jdb: JobDb, fn: (db: Kysely<JobTables>) => Promise<T>): Promise<T> {
  if (jdb.dialect === 'postgres') return jdb.db.transaction().execute(fn);
  if (jdb.dialect === 'd1') return fn(jdb.db);
  return jdb.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const out = await fn(conn);
      await sql`commit`.execute(conn);
      return out;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}
