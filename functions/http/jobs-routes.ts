// Reading and cancelling jobs: GET /v1/jobs, GET /v1/jobs/:id, GET /v1/jobs/:id/events,
// POST /v1/jobs/:id/cancel. (Submission: jobs-submit-route.ts; long-poll: jobs-wait-route.ts.)
import type { Hono } from 'hono';
import { requireAuth } from '../../shared/auth/middleware';
import { canTarget, describeTarget } from '../../shared/auth/principal';
import { TERMINAL_STATES, type Job } from '../../shared/jobs/types';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';
import { decodeJobCursor, encodeJobCursor } from './cursor';
import { badRequest, conflict, forbidden, notFound } from './envelope';
import { toEventView, toJobView } from './job-view';
import { eventsQuery, listJobsQuery } from './schemas';
import { parseWith } from './validate';

/** Same shape as shared/workflows/params.ts serverLockKey: `<cloud>/<server>`. */
export function defaultServerLockKey(q: { cloud?: string; server: string }): string {
  // The lock key includes the cloud: a bare server name would match nothing.
  if (q.cloud === undefined) throw badRequest('invalid_query', 'cloud: required together with server', 'cloud');
  return `${q.cloud}/${q.server}`;
}

export const isTerminal = (job: Job) => (TERMINAL_STATES as readonly string[]).includes(job.state);

/** The job or a 404 (unknown ids and ids too long to be ours look the same). */
export async function jobOr404(deps: AppDeps, id: string): Promise<Job> {
  const job = id.length <= 200 ? await deps.store.getJob(id) : null;
  if (!job) throw notFound(`job "${id.slice(0, 200)}"`);
  return job;
}

export function registerJobsRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const read = requireAuth({ tokens: deps.auth.tokens, scope: 'read' });
  const submit = requireAuth({ tokens: deps.auth.tokens, scope: 'submit' });
  const serverLockKey = deps.serverLockKey ?? defaultServerLockKey;

  app.get('/jobs', read, async (c) => {
    const q = parseWith(listJobsQuery, c.req.query(), 'query');
    if (q.cloud !== undefined && q.server === undefined) throw badRequest('invalid_query', 'cloud: only together with server', 'cloud');
    const before = q.cursor === undefined ? undefined : decodeJobCursor(q.cursor);
    const lockKey = q.server === undefined ? undefined : serverLockKey({ server: q.server, ...(q.cloud !== undefined ? { cloud: q.cloud } : {}) });
    // One extra row tells whether there is a next page without a count query.
    const rows = await deps.store.listJobs({
      ...(q.state ? { state: q.state } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      // jobs lock on the server's id and keep its name as the alias: either spelling finds them
      ...(lockKey !== undefined ? { lockKeyOrAlias: lockKey } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = rows.length > q.limit && last ? encodeJobCursor(last.seq) : null;
    return c.json({ jobs: page.map(toJobView), next });
  });

  app.get('/jobs/:id', read, async (c) => {
    return c.json(toJobView(await jobOr404(deps, c.req.param('id'))));
  });

  app.get('/jobs/:id/events', read, async (c) => {
    const q = parseWith(eventsQuery, c.req.query(), 'query');
    const job = await jobOr404(deps, c.req.param('id'));
    const events = await deps.store.listEvents(job.id, q.after, q.limit);
    const last = events[events.length - 1];
    return c.json({ events: events.map(toEventView), next: events.length === q.limit && last ? last.seq : null });
  });

  app.post('/jobs/:id/cancel', submit, async (c) => {
    const job = await jobOr404(deps, c.req.param('id'));
    const p = job.params as { cloud?: unknown; server?: unknown } | null;
    if (p && typeof p.cloud === 'string') {
      const target = { cloud: p.cloud, server: typeof p.server === 'string' ? p.server : '*' };
      if (!canTarget(c.var.principal, target)) throw forbidden(`token "${c.var.principal.name}" may not target ${describeTarget(target)}`);
    }
    if (isTerminal(job)) throw conflict('job_finished', `job ${job.id} already ${job.state}`);
    const after = await deps.engine.cancel(job.id);
    if (!after) throw notFound(`job "${job.id}"`);
    // It may have finished on its own between the read and the cancel.
    if (isTerminal(after) && after.state !== 'cancelled') throw conflict('job_finished', `job ${job.id} already ${after.state}`);
    return c.json(toJobView(after), 202);
  });
}
