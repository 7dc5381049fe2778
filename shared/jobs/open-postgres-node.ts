import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { JobDb } from './job-db';
import type { JobTables } from './schema';

const INT8_OID = 20;

export interface PostgresJobDbOptions {
  max?: number;
  /** Passed to the pool, e.g. a statement_timeout through `options: '-c statement_timeout=5000'`. */
  pool?: pg.PoolConfig;
}

/**
 * Several service instances share one PostgreSQL job table. int8 (seq, epoch-ms columns,
 * count(*)) is parsed to a JS number for this pool only: epoch ms and sequence numbers stay
 * far below 2^53, and the global pg type registry is left untouched.
 */
export function openPostgresJobDb(connectionString: string, opts: PostgresJobDbOptions = {}): JobDb {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    ...opts.pool,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client dropped by the server (restart, failover) would otherwise be an unhandled
  // 'error' event and take the whole process down; the pool discards it and reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<JobTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    db,
    pgPool: pool,
    close: () => db.destroy(),
  };
}
