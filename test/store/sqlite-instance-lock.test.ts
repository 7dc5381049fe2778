// The SQLite instance lock (one service per job table file). Across processes and kill -9:
// test/service/restart-recovery.test.ts; here its contract in one process.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import { lockSqliteInstance, SqliteInstanceLockedError } from '../../shared/jobs/sqlite-instance-lock-node';

const dir = mkdtempSync(join(tmpdir(), 'snapflow-instance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite instance lock', () => {
  it('is held once per file: a second taker gets one clear error naming the setting, the file and the holder; release frees it', () => {
    const db = join(dir, 'jobs.sqlite');
    const lock = lockSqliteInstance(db, 'SNAPFLOW_DB');
    expect(lock.path).toBe(`${db}.lock`);
    expect(statSync(lock.path).mode & 0o777).toBe(0o600);
    expect(statSync(`${db}.lock.pid`).mode & 0o777).toBe(0o600);
    let err: unknown;
    try {
      lockSqliteInstance(db, 'SNAPFLOW_DB');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqliteInstanceLockedError);
    expect(err).toMatchObject({ holderPid: process.pid });
    expect((err as Error).message).toBe(
      `SNAPFLOW_DB: the job table ${db} is in use by another snapflow service (pid ${process.pid}; lock ${db}.lock). ` +
        'Stop that service, or give this one its own job table (several instances share one only on PostgreSQL).',
    );
    // another file is another lock
    lockSqliteInstance(join(dir, 'other.sqlite')).release();
    lock.release();
    lockSqliteInstance(db).release();
  });

  it('does not keep stores (tests, tools) off the job table itself', async () => {
    const db = join(dir, 'shared.sqlite');
    const lock = lockSqliteInstance(db);
    const store = createJobStore(openSqliteJobDb(db));
    try {
      await store.migrate();
      expect((await store.insertJob({ id: 'j1', kind: 'k', params: {} })).created).toBe(true);
    } finally {
      await store.close();
      lock.release();
    }
  });
});
