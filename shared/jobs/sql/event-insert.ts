import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { JobDialect } from '../job-db';
import type { NewJobEvent } from '../types';

type Frag = RawBuilder<unknown>;
/** Maps a parameter value before it goes into the SQL (a Binder's Slot when cached). */
export type Bind = (v: unknown) => unknown;
const same: Bind = (v) => v;

/** A JSON parameter typed for the column: jsonb needs an explicit cast inside INSERT … SELECT. */
export function jsonValue(dialect: JobDialect, v: unknown, bind: Bind = same): Frag {
  const text = bind(v === undefined || v === null ? null : JSON.stringify(v));
  return dialect === 'postgres' ? sql`cast(${text} as jsonb)` : sql`${text}`;
}

/** Typed scalar parameter: PostgreSQL cannot infer parameter types in a SELECT list. */
export function bigintValue(v: number | null, bind: Bind = same): Frag {
  return sql`cast(${bind(v)} as bigint)`;
}
export function textValue(v: string | null | undefined, bind: Bind = same): Frag {
  return sql`cast(${bind(v ?? null)} as text)`;
}
export function intValue(v: number | null | undefined, bind: Bind = same): Frag {
  return sql`cast(${bind(v ?? null)} as integer)`;
}

export interface EventColumns {
  /** SQL for job_id (a column of the source row, or a parameter). */
  jobId: Frag;
  fromState?: Frag;
  toState?: Frag;
  step?: Frag;
  attempt?: Frag;
}

/**
 * `INSERT INTO job_events … SELECT <values> <source>`: the event is written only if the
 * source yields a row, which is how the event follows the guarded job update atomically
 * (same WHERE, same transaction or batch, or FROM the update's RETURNING in a PostgreSQL CTE).
 */
export const EVENT_COLUMNS = sql.raw('insert into job_events (job_id, at, type, from_state, to_state, step, attempt, message, request_ids, data)');

/** `SELECT <event values> <source>`; combine several with UNION ALL to keep their seq order. */
export function eventSelect(dialect: JobDialect, ev: NewJobEvent, at: number, cols: EventColumns, source: Frag, bind: Bind = same): Frag {
  return sql`select ${cols.jobId}, ${bigintValue(ev.at ?? at, bind)}, ${textValue(ev.type, bind)},
      ${cols.fromState ?? textValue(ev.fromState, bind)}, ${cols.toState ?? textValue(ev.toState, bind)},
      ${cols.step ?? textValue(ev.step, bind)}, ${cols.attempt ?? intValue(ev.attempt, bind)}, ${textValue(ev.message, bind)},
      ${jsonValue(dialect, ev.requestIds ?? [], bind)}, ${jsonValue(dialect, ev.data, bind)}
    ${source}`;
}

export function insertEventSelect(dialect: JobDialect, ev: NewJobEvent, at: number, cols: EventColumns, source: Frag, bind: Bind = same): Frag {
  return sql`${EVENT_COLUMNS} ${eventSelect(dialect, ev, at, cols, source, bind)}`;
}
