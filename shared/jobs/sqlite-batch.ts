import type { CompiledQuery } from 'kysely';
import type { SqliteRawLike } from './job-db';

type Rows = Record<string, unknown>[];
type Stmt = ReturnType<SqliteRawLike['prepare']>;

const caches = new WeakMap<SqliteRawLike, Map<string, Stmt>>();
const MAX_CACHED = 256;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function prepared(raw: SqliteRawLike, text: string): Stmt {
  let cache = caches.get(raw);
  if (!cache) {
    cache = new Map();
    caches.set(raw, cache);
  }
  let stmt = cache.get(text);
  if (!stmt) {
    if (cache.size >= MAX_CACHED) cache.clear();
    stmt = raw.prepare(text);
    cache.set(text, stmt);
  }
  return stmt;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Run Kysely-compiled statements as one BEGIN IMMEDIATE transaction directly on the
 * better-sqlite3 handle: synchronous, with cached prepared statements (the Kysely round trip
 * per statement costs more than the SQLite work itself).
 *
 * Waiting for another process's write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ms…
 * between retries, far longer than our transactions hold the lock (tens of µs), so under
 * multi-process contention it idles most of the time. Here BEGIN is retried after a short
 * randomised pause (50–250 µs, growing) up to `busyTimeoutMs`.
 */
export function runSqliteBatch(raw: SqliteRawLike, queries: CompiledQuery[], busyTimeoutMs: number): Rows[] {
  beginImmediate(raw, busyTimeoutMs);
  try {
    const out: Rows[] = [];
    for (const q of queries) {
      const stmt = prepared(raw, q.sql);
      if (stmt.reader) out.push(stmt.all(...q.parameters) as Rows);
      else {
        stmt.run(...q.parameters);
        out.push([]);
      }
    }
    raw.exec('commit');
    return out;
  } catch (err) {
    if (raw.inTransaction) raw.exec('rollback');
    throw err;
  }
}

function beginImmediate(raw: SqliteRawLike, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  raw.pragma('busy_timeout = 0');
  try {
    for (let pause = 0.05; ; pause = Math.min(pause * 1.5, 2)) {
      try {
        raw.exec('begin immediate');
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        Atomics.wait(sleeper, 0, 0, pause * (0.5 + Math.random()));
      }
    }
  } finally {
    raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}
