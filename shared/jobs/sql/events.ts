import type { JobDb } from '../job-db';
import { jsonParam, rowToEvent } from '../row-mapping';
import type { JobEvent, NewJobEvent } from '../types';

export async function appendEvent(jdb: JobDb, jobId: string, ev: NewJobEvent, now: number = Date.now()): Promise<void> {
  await jdb.db
    .insertInto('job_events')
    .values({
      job_id: jobId,
      at: ev.at ?? now,
      type: ev.type,
      from_state: ev.fromState ?? null,
      to_state: ev.toState ?? null,
      step: ev.step ?? null,
      attempt: ev.attempt ?? null,
      message: ev.message ?? null,
      request_ids: jsonParam(ev.requestIds ?? []),
      data: jsonParam(ev.data),
    })
    .execute();
}

/** Oldest first, for history pages and long-polls (`afterSeq` = last seq seen). */
export async function listEvents(jdb: JobDb, jobId: string, afterSeq = 0, limit = 200): Promise<JobEvent[]> {
  const rows = await jdb.db
    .selectFrom('job_events')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(Math.max(1, Math.min(limit, 1000)))
    .execute();
  return rows.map((r) => rowToEvent(jdb.dialect, r as unknown as Record<string, unknown>));
}
