// The image a rollback takes from a snapshot job (`imageFromJob`): the pipeline's own
// reference snapshot, which may still be running when the pipeline's end asks for the
// rollback. Until that job ends the rollback waits; a snapshot that failed, was cancelled or
// made no image fails the rollback with the reason, never a silent fall-back to another image.
import type { NonRetryableError } from '../../shared/engine/errors';
import type { Job } from '../../shared/jobs/types';
import type { WorkflowDeps } from './deps';
import { minutes, permanent } from './step-support';

export type ImageFromJob = { kind: 'image'; imageId: string } | { kind: 'wait'; reason: string } | { kind: 'fail'; error: NonRetryableError };

/** How long after the snapshot job's own deadline it may still be reported unfinished (its last commit). */
const DEADLINE_GRACE_MS = 5 * 60_000;

function describeEnd(job: Job): string {
  if (job.state === 'cancelled') return 'was cancelled';
  return `failed${job.error ? ` (${job.error.code}${job.error.step ? ` at ${job.error.step}` : ''}): ${job.error.message}` : ''}`;
}

/**
 * `cloud` is the rollback's: a snapshot job of another cloud entry cannot have made an image
 * the server can be rebuilt from. `since` is when the rollback started waiting (its creation),
 * for snapshot jobs without a deadline of their own.
 */
export async function imageFromJob(deps: WorkflowDeps, jobId: string, cloud: string, since: number): Promise<ImageFromJob> {
  const fail = (message: string, code: string): ImageFromJob => ({ kind: 'fail', error: permanent(message, { code }) });
  if (!deps.jobs) return fail('imageFromJob: this deployment gives the workflows no access to the job table', 'image_job_unavailable');
  const job = await deps.jobs.getJob(jobId);
  if (!job) return fail(`imageFromJob: no job ${jobId}`, 'image_job_not_found');
  if (job.kind !== 'snapshot') return fail(`imageFromJob: job ${jobId} is a ${job.kind} job, not a snapshot`, 'image_job_kind');
  const jobCloud = (job.params as { cloud?: unknown } | null)?.cloud;
  if (jobCloud !== cloud) return fail(`imageFromJob: snapshot job ${jobId} ran on cloud "${String(jobCloud)}", not "${cloud}"`, 'image_job_cloud');
  if (job.state === 'succeeded') {
    const imageId = job.result?.imageId;
    if (typeof imageId === 'string' && imageId !== '') return { kind: 'image', imageId };
    return fail(`snapshot job ${jobId} succeeded without making an image (a dry run?)`, 'image_job_no_image');
  }
  if (job.state === 'failed' || job.state === 'cancelled') return fail(`the snapshot to roll back to, job ${jobId}, ${describeEnd(job)}`, 'image_job_failed');
  const limit = job.deadline ?? since + deps.config.snapshotWaitMs + 2 * deps.config.serverWaitMs;
  if (deps.now() > limit + DEADLINE_GRACE_MS) {
    return fail(`snapshot job ${jobId} is still ${job.state} ${minutes(deps.now() - limit)} past its deadline`, 'image_job_timeout');
  }
  return { kind: 'wait', reason: `snapshot job ${jobId} ${job.state}${job.step ? ` at ${job.step}` : ''}` };
}
