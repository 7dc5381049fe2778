import { sql } from 'kysely';
import type { JobDb } from '../job-db';
import type { Job, NewJobEvent } from '../types';
import { getJob } from './get-job';
import { guardedUpdate } from './guarded-update';

/**
 * Only raises the flag: the owner of a running job unwinds (cleanup phase) on its next
 * commit, and the engine turns a queued/waiting job into `cancelled` via transition().
 * Terminal or already-flagged jobs are left alone (no duplicate event).
 */
export async function requestCancel(jdb: JobDb, id: string, event: NewJobEvent | undefined, now: number): Promise<Job | null> {
  const ev: NewJobEvent = event ?? {
    type: 'cancel.requested',
    fromState: null,
    toState: null,
    step: null,
    attempt: null,
    message: null,
    requestIds: [],
    data: null,
  };
  const updated = await guardedUpdate(jdb, {
    id,
    guard: sql`state in ('queued','running','waiting') and cancel_requested = 0`,
    sets: [sql`cancel_requested = 1`, sql`updated_at = ${now}`],
    event: ev,
    eventCols: { fromState: sql`state`, toState: sql`state`, step: sql`step`, attempt: sql`attempt` },
    now,
  });
  return updated ?? getJob(jdb, id);
}
