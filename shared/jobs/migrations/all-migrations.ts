import type { Kysely } from 'kysely';
import type { JobDialect } from '../job-db';
import type { JobTables } from '../schema';
import * as m0001 from './0001-jobs';
import * as m0002 from './0002-pg-claim-indexes';
import * as m0003 from './0003-pg-events-key';
import * as m0004 from './0004-lock-alias';
import * as m0005 from './0005-runner-tasks';
import * as m0006 from './0006-slot-record';

export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<JobTables>, dialect: JobDialect): Promise<void>;
}

/** Applied in order; append new numbered files here, never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006];
