// The job table of the Node entry: SQLite (the embedded default) or PostgreSQL, opened and
// migrated with start-up errors that name the setting and the path. The SQLite file and
// its -wal/-shm companions are 0600, its directory (when snapflow makes it) 0700: the
// table holds who asked for what on which server.
import { dirname, resolve } from 'node:path';
import { type Config, DEFAULT_DATABASE_URL } from '../shared/config/load';
import { redactUrlSecrets } from '../shared/config/redact-text';
import { createJobStore, type SnapflowJobStore } from '../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../shared/jobs/open-postgres-node';
import { openSqliteJobDb } from '../shared/jobs/open-sqlite-node';
import { lockSqliteInstance, type SqliteInstanceLock, SqliteInstanceLockedError } from '../shared/jobs/sqlite-instance-lock-node';
import { ensureDir, ensurePrivateFile } from './node-paths';
import { EXIT_FAILURE, StartupError } from './node-startup-error';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the database URL came from, for messages (a PostgreSQL password never shows). */
export function databaseSetting(config: Config, env: Env): string {
  if (env.SNAPFLOW_DB) return `SNAPFLOW_DB=${redactUrlSecrets(env.SNAPFLOW_DB)}`;
  if (config.database.url !== DEFAULT_DATABASE_URL) return `database.url (${redactUrlSecrets(config.database.url)}) of the configuration file`;
  return `SNAPFLOW_DB (unset: ${DEFAULT_DATABASE_URL})`;
}

function messageOf(err: unknown): string {
  return redactUrlSecrets(err instanceof Error ? err.message : String(err));
}

const SQLITE_COMPANIONS = ['-wal', '-shm'];

export interface OpenedJobStore {
  store: SnapflowJobStore;
  /** SQLite: held for the life of the process; no other service runs on this table. */
  instanceLock: SqliteInstanceLock | null;
}

/** One service per SQLite job table (see lockSqliteInstance); a second one stops here. */
function lockInstance(path: string, setting: string): SqliteInstanceLock {
  try {
    return lockSqliteInstance(path, setting);
  } catch (err) {
    if (err instanceof SqliteInstanceLockedError) throw new StartupError(err.message, EXIT_FAILURE);
    throw new StartupError(`${setting}: cannot lock ${path}.lock: ${messageOf(err)}`);
  }
}

function openSqlite(path: string, setting: string, warn: (line: string) => void): SnapflowJobStore {
  for (const suffix of SQLITE_COMPANIONS) ensurePrivateFile(`${path}${suffix}`, setting, { create: false, warn });
  try {
    return createJobStore(openSqliteJobDb(path));
  } catch (err) {
    throw new StartupError(`${setting}: cannot open the SQLite database ${path}: ${messageOf(err)}`);
  }
}

/** Opens and migrates the job table; every failure is a StartupError naming the setting. */
export async function openJobStore(config: Config, env: Env, warn: (line: string) => void): Promise<OpenedJobStore> {
  const url = config.database.url;
  const setting = databaseSetting(config, env);
  const postgres = url.startsWith('postgres://') || url.startsWith('postgresql://');
  if (!postgres && !url.startsWith('sqlite:')) {
    throw new StartupError(`${setting}: unsupported database URL scheme on Node (use sqlite:<path> or postgres://…)`);
  }
  const path = resolve(url.slice('sqlite:'.length));
  let instanceLock: SqliteInstanceLock | null = null;
  if (!postgres) {
    ensureDir(dirname(path), setting);
    // created here with the right mode: SQLite gives its -wal and -shm files the database's mode
    ensurePrivateFile(path, setting, { warn });
    instanceLock = lockInstance(path, setting);
  }
  const store = postgres ? createJobStore(openPostgresJobDb(url)) : openSqlite(path, setting, warn);
  try {
    await store.migrate();
  } catch (err) {
    instanceLock?.release();
    await store.close().catch(() => undefined);
    // an unreachable PostgreSQL may come back: not a configuration error as such
    if (postgres) throw new StartupError(`${setting}: cannot prepare the job table: ${messageOf(err)}`, EXIT_FAILURE);
    throw new StartupError(`${setting}: cannot prepare the job table in ${resolve(url.slice('sqlite:'.length))}: ${messageOf(err)}`);
  }
  for (const suffix of postgres ? [] : SQLITE_COMPANIONS) ensurePrivateFile(`${path}${suffix}`, setting, { create: false, warn });
  return { store, instanceLock };
}
