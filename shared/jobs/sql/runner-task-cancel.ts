import type { JobDb } from '../job-db';

/**
 * A cancelled or finished job's open tasks: never handed out again, and the runner holding
 * one hears `cancel: true` on its next heartbeat (the lease hash stays, so that runner's
 * heartbeat and its `fail` are still recognised).
 */
export async function cancelRunnerTasks(jdb: JobDb, jobId: string, now: number): Promise<number> {
  const rows = await jdb.db
    .updateTable('runner_tasks')
    .set({ state: 'cancelled', updated_at: now, finished_at: now })
    .where('job_id', '=', jobId)
    .where('state', 'in', ['queued', 'leased'])
    .returning('id')
    .execute();
  return rows.length;
}
