import type { JobDb } from '../job-db';
import { jsonParam } from '../row-mapping';
import type { JobProgress } from '../types';

/** Extends the lease only while `owner` holds it; a reclaimed job answers false. */
export async function heartbeat(
  jdb: JobDb,
  id: string,
  owner: string,
  leaseMs: number,
  progress: JobProgress | null | undefined,
  now: number,
): Promise<boolean> {
  let q = jdb.db
    .updateTable('jobs')
    .set({ lease_expires_at: now + leaseMs, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('lease_owner', '=', owner);
  if (progress !== undefined) q = q.set({ progress: jsonParam(progress) });
  const rows = await q.returning('id').execute();
  return rows.length === 1;
}
