import { inject } from 'vitest';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../../shared/jobs/open-postgres-node';
import { runStoreContract } from './store-contract';

runStoreContract('postgres', async () => createJobStore(openPostgresJobDb(inject('pgUrl'))));
