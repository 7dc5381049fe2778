import { sql } from 'kysely';
import type { JobDb } from '../job-db';

/**
 * The one caller that fires (schedule, slot): the first to insert the slot, or the first to
 * take over a claim whose firer did not finish within `staleMs` (its instance died). One
 * statement (an upsert whose update is guarded), so it holds across instances.
 */
export async function claimSlot(jdb: JobDb, schedule: string, slot: number, owner: string, staleMs: number, now: number): Promise<boolean> {
  const rows = await jdb.db
    .insertInto('schedule_slots')
    .values({ schedule, slot, fired_at: now, owner, finished_at: null, job_ids: null, errors: null })
    .onConflict((oc) =>
      oc
        .columns(['schedule', 'slot'])
        .doUpdateSet({ fired_at: now, owner })
        .where(sql<boolean>`schedule_slots.finished_at is null and schedule_slots.fired_at < ${now - staleMs}`),
    )
    .returning('schedule')
    .execute();
  return rows.length === 1;
}
