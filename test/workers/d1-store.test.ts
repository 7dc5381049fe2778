import { env } from 'cloudflare:workers';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openD1JobDb } from '../../shared/jobs/open-d1';
import { runStoreContract } from '../store/store-contract';

// Runs inside workerd: the same contract as SQLite and PostgreSQL, on a local D1 database.
runStoreContract('d1', async () => createJobStore(openD1JobDb(env.DB)));
