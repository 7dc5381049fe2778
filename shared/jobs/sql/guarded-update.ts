import type { CompiledQuery, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb, JobDialect } from '../job-db';
import { execPg } from '../pg-exec';
import { jsonParam, rowToJob } from '../row-mapping';
import type { Job, JobPatch, NewJobEvent } from '../types';
import { TERMINAL_STATES } from '../types';
import type { Bind, EventColumns } from './event-insert';
import { insertEventSelect } from './event-insert';
import type { Binder } from './statement-cache';
import { boundQuery } from './statement-cache';

type Frag = RawBuilder<unknown>;

export interface GuardedUpdate {
  id: string;
  /** Extra WHERE terms next to `id = ?` (the expected state, the lease owner…). */
  guard: Frag;
  sets: Frag[];
  event: NewJobEvent;
  eventCols: Omit<EventColumns, 'jobId'>;
  now: number;
  /** When given, the statement text is cached under this key and `binder` holds the values. */
  cache?: { key: string; binder: Binder };
}

/**
 * The one write path for state changes: `UPDATE jobs SET … WHERE id = ? AND <guard>`
 * plus its event, atomically.
 * - PostgreSQL: a single statement; the event INSERT reads the UPDATE's RETURNING in a CTE,
 *   so the event exists iff the guarded update matched (one round trip, no BEGIN/COMMIT).
 * - SQLite / D1: [INSERT event SELECT … FROM jobs WHERE <guard>, UPDATE … WHERE <guard>]
 *   in one BEGIN IMMEDIATE transaction / one D1 batch; the write lock makes both
 *   statements see the same row, so again the event exists iff the update matched.
 */
export async function guardedUpdate(jdb: JobDb, u: GuardedUpdate): Promise<Job | null> {
  const row = await guardedUpdateRow(jdb, u, sql`*`);
  return row ? rowToJob(jdb.dialect, row) : null;
}

/** Same, answering only whether the guard matched (commit's hot path: no row to ship back). */
export async function guardedUpdateMatched(jdb: JobDb, u: GuardedUpdate): Promise<boolean> {
  return (await guardedUpdateRow(jdb, u, sql`id`)) !== undefined;
}

async function guardedUpdateRow(jdb: JobDb, u: GuardedUpdate, returning: Frag): Promise<Record<string, unknown> | undefined> {
  if (jdb.dialect === 'postgres') {
    const bind: Bind = u.cache ? u.cache.binder.bind : (v) => v;
    const setList = sql.join(u.sets, sql`, `);
    const id = bind(u.id);
    const ev = insertEventSelect(jdb.dialect, u.event, u.now, { jobId: sql`u.id`, ...u.eventCols }, sql`from u`, bind);
    const q = sql`with u as (update jobs set ${setList} where id = ${id} and ${u.guard} returning ${returning}),
      ev as (${ev}) select * from u`;
    return (await execPg(jdb, compileGuarded(jdb, u, 'pg', q)))[0];
  }
  const [, rows] = await runAtomic(jdb, guardedSqliteStatements(jdb, u, returning));
  return rows?.[0];
}

function compileGuarded(jdb: JobDb, u: GuardedUpdate, suffix: string, q: Frag): CompiledQuery {
  return u.cache ? boundQuery(jdb.db, `${u.cache.key}:${suffix}`, q, u.cache.binder) : q.compile(jdb.db);
}

/**
 * SQLite / D1: [INSERT event SELECT … FROM jobs WHERE <guard>, UPDATE … WHERE <guard>
 * RETURNING], for one atomic batch (the update's rows are the second result).
 */
export function guardedSqliteStatements(jdb: JobDb, u: GuardedUpdate, returning: Frag): CompiledQuery[] {
  const bind: Bind = u.cache ? u.cache.binder.bind : (v) => v;
  const id = bind(u.id);
  const ev = insertEventSelect(jdb.dialect, u.event, u.now, { jobId: sql`jobs.id`, ...u.eventCols }, sql`from jobs where id = ${id} and ${u.guard}`, bind);
  const upd = sql`update jobs set ${sql.join(u.sets, sql`, `)} where id = ${id} and ${u.guard} returning ${returning}`;
  return [compileGuarded(jdb, u, 'ev', ev), compileGuarded(jdb, u, 'upd', upd)];
}

/**
 * SET fragments for a JobPatch; leaving `running` drops the lease, a terminal state stamps
 * finished_at. The SQL text depends only on patchShape(); values go through `bind`.
 */
export function patchSets(dialect: JobDialect, patch: JobPatch, now: number, bind: Bind = (v) => v): Frag[] {
  const b = bind;
  const sets: Frag[] = [sql`state = ${b(patch.state)}`, sql`updated_at = ${b(now)}`];
  if (patch.step !== undefined) sets.push(sql`step = ${b(patch.step)}`);
  if (patch.stepIndex !== undefined) sets.push(sql`step_index = ${b(patch.stepIndex)}`);
  if (patch.phase !== undefined) sets.push(sql`phase = ${b(patch.phase)}`);
  if (patch.attempt !== undefined) sets.push(sql`attempt = ${b(patch.attempt)}`);
  if (patch.runAfter !== undefined) sets.push(sql`run_after = ${b(patch.runAfter)}`);
  if (patch.context && Object.keys(patch.context).length > 0) sets.push(contextMerge(dialect, patch.context, b));
  if (patch.result !== undefined) sets.push(sql`result = ${jsonCol(dialect, patch.result, b)}`);
  if (patch.error !== undefined) sets.push(sql`error = ${jsonCol(dialect, patch.error, b)}`);
  if (patch.progress !== undefined) sets.push(sql`progress = ${jsonCol(dialect, patch.progress, b)}`);
  if (patch.state !== 'running') sets.push(sql`lease_owner = null`, sql`lease_expires_at = null`);
  if (TERMINAL_STATES.includes(patch.state)) sets.push(sql`finished_at = ${b(now)}`);
  return sets;
}

/** Everything about a patch that changes the SQL text of patchSets (for statement caching). */
export function patchShape(dialect: JobDialect, patch: JobPatch): string {
  const fields = (Object.keys(patch) as Array<keyof JobPatch>).filter((k) => patch[k] !== undefined).sort();
  const ctx = patch.context ? Object.keys(patch.context) : [];
  // PostgreSQL merges the context as one jsonb parameter; SQLite names each key in the SQL
  const ctxShape = dialect === 'postgres' ? String(ctx.length > 0) : JSON.stringify(ctx);
  return `${patch.state}|${fields.join(',')}|${ctxShape}`;
}

function jsonCol(dialect: JobDialect, v: unknown, bind: Bind): Frag {
  const text = bind(jsonParam(v));
  return dialect === 'postgres' ? sql`cast(${text} as jsonb)` : sql`${text}`;
}

/** Shallow merge of the step's context patch into the stored context (same as `{...a, ...b}`). */
function contextMerge(dialect: JobDialect, patch: Record<string, unknown>, bind: Bind): Frag {
  if (dialect === 'postgres') return sql`context = context || cast(${bind(JSON.stringify(patch))} as jsonb)`;
  // json_patch would merge nested objects recursively and delete null keys; json_set per
  // top-level key is the shallow merge the engine expects.
  const args = Object.entries(patch).map(([k, v]) => {
    if (k.includes('"')) throw new Error('context keys must not contain double quotes');
    return sql`${`$."${k}"`}, json(${bind(JSON.stringify(v === undefined ? null : v))})`;
  });
  return sql`context = json_set(context, ${sql.join(args, sql`, `)})`;
}
