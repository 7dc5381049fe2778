// Cancelling a job: at once when nothing was created and no step is in flight, otherwise by
// setting the flag that the next claim and commit act on (cleanup steps, then `cancelled`).
import type { Job, JobStore, NewJobEvent } from '../jobs/types';
import { TERMINAL_STATES } from '../jobs/types';
import { cancelNeedsCleanup } from './decide';
import type { WorkflowDefinition } from './define';
import type { EngineEvent } from './engine-event';

export interface CancelDeps {
  store: JobStore;
  now: () => number;
  // any: one engine drives workflows of every params type
  workflowOf: (kind: string) => WorkflowDefinition<any> | undefined;
  emit: (e: EngineEvent) => void;
  /** Run the job's next step soon (its cleanup). */
  chain: (jobId: string) => void;
}

export async function cancelJob(d: CancelDeps, id: string): Promise<Job | null> {
  const { store } = d;
  const job = await store.getJob(id);
  if (!job || (TERMINAL_STATES as readonly string[]).includes(job.state)) return job;
  const t = d.now();
  const base = { step: job.step, attempt: job.attempt, requestIds: [], data: null, at: t };
  const wf = d.workflowOf(job.kind);
  const idle = job.state === 'queued' || job.state === 'waiting';
  if (idle && wf !== undefined && !cancelNeedsCleanup(job, wf)) {
    // Nothing created and no step in flight: stop it right here. The guarded transition
    // loses (false) if a handler claimed it meanwhile; then the flag below takes over.
    const ev: NewJobEvent = { ...base, type: 'cancelled', fromState: job.state, toState: 'cancelled', message: 'cancelled' };
    if (await store.transition(id, job.state, { state: 'cancelled' }, ev, t)) {
      d.emit({ jobId: id, kind: job.kind, event: ev, patch: { state: 'cancelled' } });
      return store.getJob(id);
    }
  }
  const ev: NewJobEvent = { ...base, type: 'cancel.requested', fromState: job.state, toState: job.state, message: 'cancel requested' };
  const after = await store.requestCancel(id, ev, t);
  if (after?.cancelRequested) d.emit({ jobId: id, kind: job.kind, event: ev, patch: { state: after.state } });
  // A running step finishes first (its commit sees the flag). A queued/waiting job unwinds
  // now: the store's claim treats cancel_requested as due, so its cleanup does not sit out
  // the rest of a wait (up to the wait's whole run_after).
  if (after && after.state !== 'running' && !(TERMINAL_STATES as readonly string[]).includes(after.state)) d.chain(id);
  return after;
}
