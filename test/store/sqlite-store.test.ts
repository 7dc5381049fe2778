import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import { runStoreContract } from './store-contract';

const dir = mkdtempSync(join(tmpdir(), 'snapflow-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite', async () => createJobStore(openSqliteJobDb(join(dir, 'jobs.db'))));
