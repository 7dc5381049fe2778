import type { JobDb } from '../job-db';
import type { NewRunnerTask, RunnerTask } from '../runner-task';
import { newRunnerTaskRow, rowToRunnerTask } from '../runner-task-row';
import { findRunnerTask, getRunnerTask } from './runner-task-get';

/**
 * INSERT … ON CONFLICT DO NOTHING: the unique (job_id, step, task_key) makes a retried step
 * (or two racing runs of it) find the one task instead of queueing a second.
 */
export async function enqueueRunnerTask(jdb: JobDb, task: NewRunnerTask, now: number): Promise<{ task: RunnerTask; created: boolean }> {
  const rows = await jdb.db
    .insertInto('runner_tasks')
    .values(newRunnerTaskRow(task, now))
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .execute();
  const row = rows[0];
  if (row) return { task: rowToRunnerTask(jdb.dialect, row as unknown as Record<string, unknown>), created: true };
  const existing = (await findRunnerTask(jdb, task.jobId, task.step, task.key)) ?? (await getRunnerTask(jdb, task.id));
  if (!existing) throw new Error('enqueueRunnerTask: conflicting row vanished');
  return { task: existing, created: false };
}
