// What a discard learns from the clone job that made its server: where that job put the new
// server (target cloud, name, id when it recorded one) and where its images may be. A clone
// that has not ended is waited for (a pipeline's end may arrive while its clone still runs);
// a job that is not a clone is refused: a moved or renamed server replaces its original, and
// deleting it would lose the only copy.
import type { NonRetryableError } from '../../shared/engine/errors';
import { type Job, TERMINAL_STATES } from '../../shared/jobs/types';
import type { WorkflowDeps } from './deps';
import { minutes, permanent } from './step-support';

export interface CloneRecord {
  jobId: string;
  state: Job['state'];
  /** The source's cloud entry and the new server's (the same unless the clone had `to`). */
  sourceCloud: string;
  targetCloud: string;
  newName: string;
  /** The new server's id, when the clone recorded it (its result, or its context once create-server ran). */
  newServerId: string | null;
}

export type CloneOfJob = { kind: 'clone'; clone: CloneRecord } | { kind: 'wait'; reason: string } | { kind: 'fail'; error: NonRetryableError };

/** How long after the clone job's own deadline it may still be reported unfinished (its last commit). */
const DEADLINE_GRACE_MS = 5 * 60_000;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function describeCloneEnd(clone: CloneRecord): string {
  return clone.state === 'succeeded' ? 'succeeded' : clone.state === 'cancelled' ? 'was cancelled' : 'failed';
}

function recordOf(job: Job): CloneRecord | null {
  const p = job.params as { cloud?: unknown; newName?: unknown; to?: { cloud?: unknown } } | null;
  const sourceCloud = str(p?.cloud);
  const newName = str(p?.newName);
  if (sourceCloud === null || newName === null) return null;
  const fromResult = (job.result?.newServer as { id?: unknown } | undefined)?.id;
  return {
    jobId: job.id,
    state: job.state,
    sourceCloud,
    targetCloud: str(p?.to?.cloud) ?? sourceCloud,
    newName,
    newServerId: str(fromResult) ?? str(job.context.newServerId),
  };
}

/**
 * The clone job `jobId` once it has ended. `why` says where the id came from, for the
 * messages (`fromJob`, or the server's snapflow_job tag); `since` is when the discard started
 * waiting (its creation), for clone jobs without a deadline of their own.
 */
export async function cloneOfJob(deps: WorkflowDeps, jobId: string, why: string, since: number): Promise<CloneOfJob> {
  const fail = (message: string, code: string): CloneOfJob => ({ kind: 'fail', error: permanent(message, { code }) });
  if (!deps.jobs) return fail(`${why}: this deployment gives the workflows no access to the job table`, 'clone_job_unavailable');
  const job = await deps.jobs.getJob(jobId);
  if (!job) return fail(`${why}: no job ${jobId} in this job table, so nothing shows snapflow made the server`, 'clone_job_not_found');
  if (job.kind !== 'clone') {
    return fail(
      `${why}: job ${jobId} is a ${job.kind} job; discard deletes only servers a clone made (a moved or renamed server replaces its original)`,
      'not_a_clone',
    );
  }
  const clone = recordOf(job);
  if (!clone) return fail(`${why}: clone job ${jobId} has no cloud and newName in its params`, 'clone_job_invalid');
  if (TERMINAL_STATES.includes(job.state)) return { kind: 'clone', clone };
  const limit = job.deadline ?? since + deps.config.jobDeadlineMs;
  if (deps.now() > limit + DEADLINE_GRACE_MS) {
    return fail(`clone job ${jobId} is still ${job.state} ${minutes(deps.now() - limit)} past its deadline`, 'clone_job_timeout');
  }
  return { kind: 'wait', reason: `clone job ${jobId} ${job.state}${job.step ? ` at ${job.step}` : ''}` };
}
