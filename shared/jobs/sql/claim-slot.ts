import type { JobDb } from '../job-db';

/**
 * First writer of (schedule, slot) wins; the primary key makes this hold across instances
 * sharing a database, so a schedule fires once per slot however many ticks overlap.
 */
export async function claimSlot(jdb: JobDb, schedule: string, slot: number, now: number): Promise<boolean> {
  const rows = await jdb.db
    .insertInto('schedule_slots')
    .values({ schedule, slot, fired_at: now })
    .onConflict((oc) => oc.doNothing())
    .returning('schedule')
    .execute();
  return rows.length === 1;
}
