import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { JobDb } from './job-db';
import type { JobTables } from './schema';

export interface SqliteJobDbOptions {
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * The embedded default: one SQLite file in WAL mode (readers never block the writer;
 * several processes may share the file). synchronous=NORMAL is durable across process
 * crashes in WAL mode; only an OS crash can lose the last commits.
 */
export function openSqliteJobDb(path: string, opts: SqliteJobDbOptions = {}): JobDb {
  const raw = new Database(path);
  const busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000));
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  const db = new Kysely<JobTables>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    dialect: 'sqlite',
    db,
    sqlite: raw,
    busyTimeoutMs,
    close: () => db.destroy(),
  };
}
