import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb, JobDialect } from '../job-db';
import type { RunnerTask } from '../runner-task';
import { rowToRunnerTask } from '../runner-task-row';
import type { ClaimRunnerTaskOptions } from '../types';
import { bigintValue, EVENT_COLUMNS, jsonValue, textValue } from './event-insert';
import { claimableTask } from './runner-task-claimable';

type Frag = RawBuilder<unknown>;

/**
 * Lease the oldest claimable task (runner-task-claimable.ts) and record it in its job's
 * history, atomically:
 * - PostgreSQL: one statement; the candidate is locked FOR UPDATE SKIP LOCKED, so concurrent
 *   claimers pass over each other's row, and the event reads the locked row's old lease.
 * - SQLite / D1: [event INSERT … SELECT, UPDATE … RETURNING] in one BEGIN IMMEDIATE
 *   transaction / D1 batch, both naming the candidate by the same sub-select under the
 *   write lock, so both see the same row.
 */
export async function claimRunnerTask(jdb: JobDb, o: ClaimRunnerTaskOptions, now: number): Promise<RunnerTask | null> {
  if (o.ids && o.ids.length === 0) return null;
  const sets = sql`state = 'leased', lease_owner = ${o.runner}, lease_token_hash = ${o.leaseTokenHash},
    lease_expires_at = ${now + o.leaseMs}, attempt = runner_tasks.attempt + 1, claimed_at = ${now}, heartbeat_at = null,
    phase = null, bytes_done = 0, bytes_total = 0, updated_at = ${now}`;
  if (jdb.dialect === 'postgres') {
    const q = sql`with c as (select t.id, t.job_id, t.step, t.state, t.attempt, t.lease_owner from runner_tasks t
        where ${claimableTask(now, o.ids)} order by t.seq limit 1 for update of t skip locked),
      u as (update runner_tasks set ${sets} from c where runner_tasks.id = c.id returning runner_tasks.*),
      e as (${claimEvent(jdb.dialect, 'c', sql`from c`, o.runner, now)})
      select u.* from u`;
    const row = (await q.execute(jdb.db)).rows[0] as Record<string, unknown> | undefined;
    return row ? rowToRunnerTask(jdb.dialect, row) : null;
  }
  const cand = sql`(select t.id from runner_tasks t where ${claimableTask(now, o.ids)} order by t.seq limit 1)`;
  const [, rows] = await runAtomic(jdb, [
    claimEvent(jdb.dialect, 'x', sql`from runner_tasks x where x.id = ${cand}`, o.runner, now).compile(jdb.db),
    sql`update runner_tasks set ${sets} where id = ${cand} returning *`.compile(jdb.db),
  ]);
  const row = rows?.[0];
  return row ? rowToRunnerTask(jdb.dialect, row) : null;
}

/** `INSERT INTO job_events … SELECT … <from>`: the claim as the job's history tells it (`a`: the candidate's alias). */
function claimEvent(dialect: JobDialect, a: string, from: Frag, runner: string, now: number): Frag {
  const col = (c: string) => sql.ref(`${a}.${c}`);
  const lost = sql`${col('state')} = 'leased'`;
  const obj = sql.raw(dialect === 'postgres' ? 'jsonb_build_object' : 'json_object');
  const data = sql`${obj}('taskId', ${col('id')}, 'runner', ${textValue(runner)}, 'attempt', ${col('attempt')} + 1,
    'previousOwner', case when ${lost} then ${col('lease_owner')} end)`;
  const message = sql`case when ${lost} then 'the lease of ' || coalesce(${col('lease_owner')}, '?') || ' expired; ' else '' end
    || ${textValue(`runner ${runner} claimed the task`)}`;
  return sql`${EVENT_COLUMNS} select ${col('job_id')}, ${bigintValue(now)},
    case when ${lost} then 'runner.reclaimed' else 'runner.claimed' end, ${textValue(null)}, ${textValue(null)},
    ${col('step')}, ${col('attempt')} + 1, ${message}, ${jsonValue(dialect, [])}, ${data} ${from}`;
}
