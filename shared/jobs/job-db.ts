import type { Kysely } from 'kysely';
import type { JobTables } from './schema';

export type JobDialect = 'sqlite' | 'postgres' | 'd1';

/**
 * A dialect handle: the Kysely instance plus what Kysely cannot express for that dialect.
 * D1 has no interactive transactions, so atomic multi-statement writes go through the raw
 * binding's batch(); SQLite takes its write lock up front (BEGIN IMMEDIATE) for the same
 * statement lists.
 */
export interface JobDb {
  dialect: JobDialect;
  db: Kysely<JobTables>;
  d1?: D1Like;
  /** SQLite only: the raw better-sqlite3 handle, for synchronous atomic batches. */
  sqlite?: SqliteRawLike;
  busyTimeoutMs?: number;
  /** PostgreSQL only: the pg Pool, for named prepared statements on the hot paths. */
  pgPool?: PgPoolLike;
  close(): Promise<void>;
}

/** The slice of Cloudflare's D1Database binding the store uses (structural, so shared code
 * does not depend on the workers-types globals). */
export interface D1Like {
  prepare(query: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<Array<{ results?: unknown[]; meta?: { changes?: number } }>>;
}
export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
}

export interface PgPoolLike {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The slice of a better-sqlite3 Database used for atomic batches (structural: no Node import here). */
export interface SqliteRawLike {
  prepare(sql: string): { reader: boolean; all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  readonly inTransaction: boolean;
}
