import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * One service per SQLite job table. A service that holds this lock knows that no other
 * handler is alive on the file, so the leases it finds at start are those of its own dead
 * predecessor and can be taken back at once (Engine.recoverLeases) instead of waited out.
 *
 * The lock is SQLite's own on a side file, `<db>.lock`: an EXCLUSIVE transaction held open
 * for the life of the process. It is an OS file lock, so the kernel drops it when the
 * process dies, kill -9 included: no stale lock file to clean up and no pid to trust. The
 * pid in `<db>.lock.pid` is only there for the message a second service gets.
 * Tests and tools that share one SQLite file between engines at store level do not take it.
 */
export interface SqliteInstanceLock {
  readonly path: string;
  release(): void;
}

export class SqliteInstanceLockedError extends Error {
  constructor(
    message: string,
    readonly holderPid: number | null,
  ) {
    super(message);
    this.name = 'SqliteInstanceLockedError';
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes the instance lock of the SQLite job table at `dbPath`, or throws
 * SqliteInstanceLockedError naming `setting` (where the path came from), the file and the
 * holder's pid. Never waits: a second service must fail at start, not hang.
 */
export function lockSqliteInstance(dbPath: string, setting = 'SNAPFLOW_DB'): SqliteInstanceLock {
  const path = `${dbPath}.lock`;
  const pidFile = `${path}.pid`;
  // created 0600 like the job table it guards; SQLite would create it with the umask's mode
  closeSync(openSync(path, 'a', 0o600));
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 0');
    db.exec('begin exclusive');
  } catch (err) {
    db.close();
    if (!isBusy(err)) throw err;
    const pid = readPid(pidFile);
    throw new SqliteInstanceLockedError(
      `${setting}: the job table ${dbPath} is in use by another snapflow service (pid ${pid ?? 'unknown'}; lock ${path}). ` +
        'Stop that service, or give this one its own job table (several instances share one only on PostgreSQL).',
      pid,
    );
  }
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      rmSync(pidFile, { force: true });
      db.close();
    },
  };
}
