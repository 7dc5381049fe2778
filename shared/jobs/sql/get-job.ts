import type { JobDb } from '../job-db';
import { rowToJob } from '../row-mapping';
import type { Job } from '../types';

export async function getJob(jdb: JobDb, id: string): Promise<Job | null> {
  const row = await jdb.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? rowToJob(jdb.dialect, row as unknown as Record<string, unknown>) : null;
}

export async function getJobByIdempotencyKey(jdb: JobDb, key: string): Promise<Job | null> {
  const row = await jdb.db.selectFrom('jobs').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  return row ? rowToJob(jdb.dialect, row as unknown as Record<string, unknown>) : null;
}
