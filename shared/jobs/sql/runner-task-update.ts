import type { CompiledQuery, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb } from '../job-db';
import { jsonParam } from '../row-mapping';
import type { RunnerTask } from '../runner-task';
import { patchColumns, rowToRunnerTask } from '../runner-task-row';
import type { RunnerTaskUpdate } from '../types';
import { insertEventSelect } from './event-insert';

type Frag = RawBuilder<unknown>;

/**
 * The one write path for a task's lease, progress and outcome: `UPDATE runner_tasks … WHERE
 * id AND state IN (…) [AND lease_token_hash]`, with what it means for the job (its progress,
 * or the end of its wait) and its history event, all or nothing:
 * - PostgreSQL: one statement; the job update and the event read the task UPDATE's RETURNING.
 * - SQLite / D1: [event, job update, task update] in one BEGIN IMMEDIATE transaction / D1
 *   batch, each guarded by the same WHERE, which the write lock keeps true for all of them.
 */
export async function updateRunnerTask(jdb: JobDb, u: RunnerTaskUpdate, now: number): Promise<RunnerTask | null> {
  if (u.jobProgress !== undefined && u.wakeJob) throw new Error('updateRunnerTask: jobProgress and wakeJob are separate updates');
  if (u.states.length === 0) return null;
  const pg = jdb.dialect === 'postgres';
  const guard = (a: string): Frag => {
    const col = (c: string) => sql.ref(`${a}.${c}`);
    const lease = u.leaseTokenHash !== undefined ? sql`and ${col('lease_token_hash')} = ${u.leaseTokenHash}` : sql``;
    return sql`${col('id')} = ${u.id} and ${col('state')} in (${sql.join(u.states)}) ${lease}`;
  };
  const sets = [
    ...patchColumns(u.patch).map(([c, v, json]) => (json && pg ? sql`${sql.ref(c)} = cast(${v} as jsonb)` : sql`${sql.ref(c)} = ${v}`)),
    sql`updated_at = ${now}`,
  ];
  const progress = jsonParam(u.jobProgress);
  const jobSets =
    u.jobProgress !== undefined
      ? sql`progress = ${pg ? sql`cast(${progress} as jsonb)` : sql`${progress}`}, updated_at = ${now}`
      : sql`run_after = ${now}, updated_at = ${now}`;
  // progress only on an unfinished job; a wake-up only ends a wait that has not ended yet
  const jobGuard = (a: string): Frag => {
    const col = (c: string) => sql.ref(`${a}.${c}`);
    return u.jobProgress !== undefined
      ? sql`${col('state')} in ('queued','running','waiting')`
      : sql`${col('state')} = 'waiting' and ${col('run_after')} > ${now}`;
  };
  const touchesJob = u.jobProgress !== undefined || u.wakeJob === true;

  if (pg) {
    const ctes: Frag[] = [sql`t as (update runner_tasks x set ${sql.join(sets, sql`, `)} where ${guard('x')} returning x.*)`];
    if (u.event) ctes.push(sql`e as (${insertEventSelect('postgres', u.event, now, { jobId: sql`t.job_id` }, sql`from t`)})`);
    if (touchesJob) ctes.push(sql`j as (update jobs set ${jobSets} from t where jobs.id = t.job_id and ${jobGuard('jobs')})`);
    const rows = await sql`with ${sql.join(ctes, sql`, `)} select * from t`.execute(jdb.db);
    const row = rows.rows[0] as Record<string, unknown> | undefined;
    return row ? rowToRunnerTask(jdb.dialect, row) : null;
  }
  const statements: CompiledQuery[] = [];
  if (u.event)
    statements.push(insertEventSelect(jdb.dialect, u.event, now, { jobId: sql`x.job_id` }, sql`from runner_tasks x where ${guard('x')}`).compile(jdb.db));
  if (touchesJob) {
    statements.push(
      sql`update jobs set ${jobSets} where id = (select x.job_id from runner_tasks x where ${guard('x')}) and ${jobGuard('jobs')}`.compile(jdb.db),
    );
  }
  statements.push(sql`update runner_tasks as x set ${sql.join(sets, sql`, `)} where ${guard('x')} returning *`.compile(jdb.db));
  const results = await runAtomic(jdb, statements);
  const row = results[results.length - 1]?.[0];
  return row ? rowToRunnerTask(jdb.dialect, row) : null;
}
