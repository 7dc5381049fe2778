import type { JobDb } from '../job-db';
import { rowToJob } from '../row-mapping';
import type { Job } from '../types';

/** Jobs by id, in batches that stay under every dialect's bound-parameter limit. */
export async function getJobs(jdb: JobDb, ids: readonly string[]): Promise<Job[]> {
  const out: Job[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await jdb.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + 90))
      .execute();
    out.push(...rows.map((r) => rowToJob(jdb.dialect, r as Record<string, unknown>)));
  }
  return out;
}
