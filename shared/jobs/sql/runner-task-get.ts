import type { JobDb } from '../job-db';
import type { RunnerTask } from '../runner-task';
import { rowToRunnerTask } from '../runner-task-row';

export async function getRunnerTask(jdb: JobDb, id: string): Promise<RunnerTask | null> {
  const row = await jdb.db.selectFrom('runner_tasks').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? rowToRunnerTask(jdb.dialect, row as unknown as Record<string, unknown>) : null;
}

/** The task a step made, by what stays the same across the step's attempts. */
export async function findRunnerTask(jdb: JobDb, jobId: string, step: string, key: string): Promise<RunnerTask | null> {
  const row = await jdb.db
    .selectFrom('runner_tasks')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('step', '=', step)
    .where('task_key', '=', key)
    .executeTakeFirst();
  return row ? rowToRunnerTask(jdb.dialect, row as unknown as Record<string, unknown>) : null;
}
