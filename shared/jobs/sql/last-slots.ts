import { sql } from 'kysely';
import type { JobDb } from '../job-db';
import type { SlotRecord } from '../types';

function json<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** The latest slot per named schedule (the primary key's index serves each max). */
export async function lastSlots(jdb: JobDb, schedules: readonly string[]): Promise<SlotRecord[]> {
  if (schedules.length === 0) return [];
  const rows = await jdb.db
    .selectFrom('schedule_slots as s')
    .selectAll('s')
    .where('s.schedule', 'in', [...schedules])
    .where('s.slot', '=', (eb) => eb.selectFrom('schedule_slots as t').select(sql<number>`max(t.slot)`.as('m')).whereRef('t.schedule', '=', 's.schedule'))
    .execute();
  return rows.map((r) => ({
    schedule: r.schedule,
    slot: Number(r.slot),
    firedAt: Number(r.fired_at),
    owner: r.owner,
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    jobIds: json<string[]>(r.job_ids, []),
    errors: json<SlotRecord['errors']>(r.errors, []),
  }));
}
