// Which jobs a token may see. Reads follow the same target rules as writes: a job is
// visible when the token may target everything the job touches. A job the token may not
// see is answered exactly like an unknown id (404), so its existence does not leak.
import { canTarget, type Principal, type Target } from '../../shared/auth/principal';
import type { WorkflowDefinition } from '../../shared/engine/define';
import type { Job, JobStore } from '../../shared/jobs/types';
import type { JobRequestBase } from '../submit-preflight';
import { notFound } from './envelope';

type Workflows = readonly Pick<WorkflowDefinition<any>, 'kind' | 'targets'>[];

/** What a request (or a job's params) touches, as its workflow declares it (default: its cloud/server). */
export function targetsOfRequest(wf: Pick<WorkflowDefinition<any>, 'targets'> | undefined, req: Pick<JobRequestBase, 'cloud' | 'server'>): Target[] {
  return wf?.targets ? wf.targets(req) : [{ cloud: req.cloud, server: typeof req.server === 'string' ? req.server : '*' }];
}

/** A job's targets from its stored params; a job without a cloud is visible only to tokens that may target anything. */
export function jobTargets(workflows: Workflows, job: Pick<Job, 'kind' | 'params'>): Target[] {
  const p = job.params as Record<string, unknown> | null;
  if (!p || typeof p.cloud !== 'string') return [{ cloud: '*', server: '*' }];
  return targetsOfRequest(
    workflows.find((w) => w.kind === job.kind),
    p as JobRequestBase,
  );
}

export function mayReadJob(workflows: Workflows, principal: Principal, job: Pick<Job, 'kind' | 'params'>): boolean {
  return jobTargets(workflows, job).every((t) => canTarget(principal, t));
}

export interface JobAccessDeps {
  store: Pick<JobStore, 'getJob'>;
  workflows: Workflows;
}

/** The job, or a 404 for unknown ids, ids too long to be ours, and jobs the token may not see. */
export async function visibleJobOr404(deps: JobAccessDeps, id: string, principal: Principal): Promise<Job> {
  const job = id.length <= 200 ? await deps.store.getJob(id) : null;
  if (!job || !mayReadJob(deps.workflows, principal, job)) throw notFound(`job "${id.slice(0, 200)}"`);
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
  deps: { store: Pick<JobStore, 'listJobs'>; workflows: Workflows },
  principal: Principal,
  filter: Omit<Parameters<JobStore['listJobs']>[0], 'limit' | 'before'>,
  opts: { limit: number; before?: number },
): Promise<{ jobs: Job[]; nextBefore: number | null }> {
  const out: Job[] = [];
  let before = opts.before;
  let scanned = 0;
  for (;;) {
    const batch = await deps.store.listJobs({ ...filter, ...(before !== undefined ? { before } : {}), limit: SCAN_BATCH });
    for (const job of batch) {
      scanned++;
      before = job.seq;
      if (!mayReadJob(deps.workflows, principal, job)) continue;
      if (out.length === opts.limit) return { jobs: out, nextBefore: out[out.length - 1]!.seq };
      out.push(job);
    }
    if (batch.length < SCAN_BATCH) return { jobs: out, nextBefore: null };
    if (scanned >= SCAN_LIMIT) return { jobs: out, nextBefore: before ?? null };
  }
}
