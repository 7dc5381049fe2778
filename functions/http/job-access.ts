// Which jobs a token may see. Reads follow the same target rules as writes: a job is
// visible when the token may target everything the job touches. A job the token may not
// see is answered exactly like an unknown id (404), so its existence does not leak.
import { canTarget, type Principal, type Target } from '../../shared/auth/principal';
import type { Job, JobStore } from '../../shared/jobs/types';
import type { JobRequestBase } from '../submit-preflight';
import { notFound } from './envelope';

/** The targets of a request (or of a job's params): the source server, and a move's destination. */
export function requestTargets(req: Pick<JobRequestBase, 'cloud' | 'server'> & Record<string, unknown>): Target[] {
  const server = typeof req.server === 'string' ? req.server : '*';
  const targets: Target[] = [{ cloud: req.cloud, server }];
  const to = req.to as { cloud?: unknown } | undefined;
  if (to && typeof to.cloud === 'string') {
    const newName = typeof req.newName === 'string' ? req.newName : server;
    targets.push({ cloud: to.cloud, server: newName });
  }
  return targets;
}

/** A job's targets from its stored params; a job without a cloud is visible only to tokens that may target anything. */
export function jobTargets(job: Pick<Job, 'params'>): Target[] {
  const p = job.params as Record<string, unknown> | null;
  if (!p || typeof p.cloud !== 'string') return [{ cloud: '*', server: '*' }];
  return requestTargets(p as JobRequestBase);
}

export function mayReadJob(principal: Principal, job: Pick<Job, 'params'>): boolean {
  return jobTargets(job).every((t) => canTarget(principal, t));
}

/** The job, or a 404 for unknown ids, ids too long to be ours, and jobs the token may not see. */
export async function visibleJobOr404(store: Pick<JobStore, 'getJob'>, id: string, principal: Principal): Promise<Job> {
  const job = id.length <= 200 ? await store.getJob(id) : null;
  if (!job || !mayReadJob(principal, job)) throw notFound(`job "${id.slice(0, 200)}"`);
  return job;
}

/** Rows scanned per store read while filling a filtered page. */
const SCAN_BATCH = 200;
/** A page never reads more than this many rows: a narrow token gets a short page and a cursor. */
const SCAN_LIMIT = 2_000;

/**
 * One page of the jobs a token may see, newest first. Target globs cannot be pushed into
 * SQL, so rows are read in batches and filtered; `next` is the seq of the last row
 * scanned, so a page cut short by the scan limit still continues where it stopped.
 */
export async function visibleJobsPage(
  store: Pick<JobStore, 'listJobs'>,
  principal: Principal,
  filter: Omit<Parameters<JobStore['listJobs']>[0], 'limit' | 'before'>,
  opts: { limit: number; before?: number },
): Promise<{ jobs: Job[]; nextBefore: number | null }> {
  const out: Job[] = [];
  let before = opts.before;
  let scanned = 0;
  for (;;) {
    const batch = await store.listJobs({ ...filter, ...(before !== undefined ? { before } : {}), limit: SCAN_BATCH });
    for (const job of batch) {
      scanned++;
      before = job.seq;
      if (!mayReadJob(principal, job)) continue;
      if (out.length === opts.limit) return { jobs: out, nextBefore: out[out.length - 1]!.seq };
      out.push(job);
    }
    if (batch.length < SCAN_BATCH) return { jobs: out, nextBefore: null };
    if (scanned >= SCAN_LIMIT) return { jobs: out, nextBefore: before ?? null };
  }
}
