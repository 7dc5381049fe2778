// submit(): a validated job into the job table, queued behind its lock key or (exclusive)
// refused while another job holds it, which the store decides atomically with the insert.
import type { Job, JobStore, NewJobEvent } from '../jobs/types';
import type { WorkflowDefinition } from './define';
import { LockBusyError } from './errors';

export interface SubmitOptions {
  idempotencyKey?: string | null;
  requestedBy?: string | null;
  runAfter?: number;
  /**
   * The lock key as resolved at submission (e.g. `<cloud>/<server id>`), replacing the
   * workflow's own lockKey(params) when the workflow declares one.
   */
  lockKey?: string | null;
  /** Another spelling of the same target (e.g. `<cloud>/<server name>`), for listing its jobs. */
  lockAlias?: string | null;
  /**
   * Refuse instead of queueing behind an unfinished job of the same lock key: submit()
   * throws LockBusyError naming that job, and nothing is queued. Decided atomically with the
   * insert. An idempotency key already used still returns its job (created: false).
   */
  exclusive?: boolean;
}

export interface NewSubmission<P> {
  id: string;
  kind: string;
  wf: WorkflowDefinition<P>;
  params: P;
  now: number;
  event: NewJobEvent;
}

export async function insertSubmission<P>(store: JobStore, s: NewSubmission<P>, so: SubmitOptions): Promise<{ job: Job; created: boolean }> {
  const { wf, params, now } = s;
  const concurrency = wf.concurrency?.(params) ?? null;
  const declared = wf.lockKey?.(params) ?? null;
  const lockKey = declared !== null && so.lockKey ? so.lockKey : declared;
  const row = {
    id: s.id,
    kind: s.kind,
    params,
    context: {},
    runAfter: so.runAfter ?? now,
    deadline: wf.deadlineMs !== undefined ? now + wf.deadlineMs : null,
    idempotencyKey: so.idempotencyKey ?? null,
    lockKey,
    lockAlias: lockKey !== null ? (so.lockAlias ?? null) : null,
    concurrencyKey: concurrency?.key ?? null,
    concurrencyLimit: concurrency?.limit ?? null,
    requestedBy: so.requestedBy ?? null,
  };
  if (!so.exclusive || lockKey === null) return store.insertJob(row, s.event);
  const r = await store.insertUnlessLocked(row, s.event);
  if (r.outcome === 'busy') throw new LockBusyError(lockKey, r.holder);
  return { job: r.job, created: r.outcome === 'created' };
}
