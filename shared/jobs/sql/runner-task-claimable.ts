import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { JobDb } from '../job-db';
import type { RunnerTaskScope } from '../runner-task';

type Frag = RawBuilder<unknown>;

/**
 * Claimable (alias `t`): queued, or leased with an expired lease (its runner is gone or
 * cut off), of a job that is unfinished and not being cancelled. Implies the partial index's
 * `state in ('queued','leased')`, so the scan stays on open tasks.
 */
export function claimableTask(now: number, ids?: readonly string[]): Frag {
  const only = ids ? sql`and t.id in (${sql.join(ids)})` : sql``;
  return sql`t.state in ('queued','leased') and (t.state = 'queued' or t.lease_expires_at <= ${now})
    and exists (select 1 from jobs j where j.id = t.job_id and j.state in ('queued','running','waiting') and j.cancel_requested = 0)
    ${only}`;
}

export async function listClaimableRunnerTasks(jdb: JobDb, now: number, limit: number): Promise<Array<{ id: string; scopes: RunnerTaskScope[] }>> {
  const rows = await sql<{ id: string; scopes: unknown }>`select t.id, t.scopes from runner_tasks t
    where ${claimableTask(now)} order by t.seq limit ${limit}`.execute(jdb.db);
  return rows.rows.map((r) => ({
    id: r.id,
    scopes: (jdb.dialect === 'postgres' ? r.scopes : JSON.parse(String(r.scopes))) as RunnerTaskScope[],
  }));
}
