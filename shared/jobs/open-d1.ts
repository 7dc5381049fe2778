import { Kysely } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import type { D1Like, JobDb } from './job-db';
import type { JobTables } from './schema';

/**
 * Workers: the D1 binding serves twice, as the kysely-d1 dialect for single statements and
 * raw for batch(), D1's only atomic multi-statement form. Nothing here may import Node.
 */
export function openD1JobDb(d1: D1Like): JobDb {
  const db = new Kysely<JobTables>({
    dialect: new D1Dialect({ database: d1 as unknown as ConstructorParameters<typeof D1Dialect>[0]['database'] }),
  });
  return {
    dialect: 'd1',
    db,
    d1,
    close: () => db.destroy(),
  };
}
