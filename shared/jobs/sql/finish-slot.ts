import type { JobDb } from '../job-db';
import { jsonParam } from '../row-mapping';
import type { SlotRecord } from '../types';

/** The firer records what the slot made; a claim taken over by another firer is left to it. */
export async function finishSlot(
  jdb: JobDb,
  schedule: string,
  slot: number,
  owner: string,
  outcome: { jobIds: string[]; errors: SlotRecord['errors'] },
  now: number,
): Promise<void> {
  await jdb.db
    .updateTable('schedule_slots')
    .set({ finished_at: now, job_ids: jsonParam(outcome.jobIds), errors: jsonParam(outcome.errors) })
    .where('schedule', '=', schedule)
    .where('slot', '=', slot)
    .where('owner', '=', owner)
    .execute();
}
