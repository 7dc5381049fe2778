import type { JobDb } from '../job-db';
import { rowToJob } from '../row-mapping';
import type { Job, ListJobsFilter } from '../types';

export const MAX_LIST_LIMIT = 500;

/** Newest first; `before` is a seq cursor (pass the last page's smallest seq). */
export async function listJobs(jdb: JobDb, f: ListJobsFilter): Promise<Job[]> {
  let q = jdb.db.selectFrom('jobs').selectAll();
  if (f.state) q = q.where('state', '=', f.state);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.lockKey) q = q.where('lock_key', '=', f.lockKey);
  const either = f.lockKeyOrAlias;
  if (either) q = q.where((eb) => eb.or([eb('lock_key', '=', either), eb('lock_alias', '=', either)]));
  if (f.before !== undefined) q = q.where('seq', '<', f.before);
  const limit = Math.max(1, Math.min(f.limit ?? 50, MAX_LIST_LIMIT));
  const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
  return rows.map((r) => rowToJob(jdb.dialect, r as unknown as Record<string, unknown>));
}
