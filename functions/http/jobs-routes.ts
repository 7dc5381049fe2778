// Reading and cancelling jobs: GET /v1/jobs, GET /v1/jobs/:id, GET /v1/jobs/:id/events,
// POST /v1/jobs/:id/cancel. (Submission: jobs-submit-route.ts; long-poll: jobs-wait-route.ts.)
// Every read is filtered by the token's targets (job-access.ts).
import { z } from 'zod';
import { type Job, TERMINAL_STATES } from '../../shared/jobs/types';
import { serverLockKey } from '../workflows/params';
import { type AnyRoute, authResponses, defineRoute, errorReply } from './api-route';
import type { AppDeps } from './app-deps';
import { decodeJobCursor, encodeJobCursor } from './cursor';
import { badRequest, conflict, notFound } from './envelope';
import { visibleJobOr404, visibleJobsPage } from './job-access';
import { toEventView, toJobView } from './job-view';
import { eventsQuery, eventsReply, jobListReply, jobReply, listJobsQuery } from './schemas';

export const isTerminal = (job: Job) => (TERMINAL_STATES as readonly string[]).includes(job.state);

export const jobIdParams = z.object({ id: z.string().describe('job id') });

const notFoundDoc = { description: 'unknown job (or one the token may not see)', schema: errorReply };

export function jobsRoutes(deps: AppDeps): AnyRoute[] {
  const list = defineRoute({
    method: 'get',
    path: '/v1/jobs',
    summary: 'List jobs, newest first (only those the token may target)',
    scope: 'read',
    targets: 'filtered',
    query: listJobsQuery,
    responses: {
      200: { description: 'a page of jobs; pass `next` as `cursor` for the next page', schema: jobListReply },
      400: { description: 'invalid query', schema: errorReply },
      ...authResponses(),
    },
    async handle(c, { query: q }) {
      if (q.cloud !== undefined && q.server === undefined) throw badRequest('invalid_query', 'cloud: only together with server', 'cloud');
      const before = q.cursor === undefined ? undefined : decodeJobCursor(q.cursor);
      // The lock key includes the cloud: a bare server name would match nothing.
      if (q.server !== undefined && q.cloud === undefined) throw badRequest('invalid_query', 'cloud: required together with server', 'cloud');
      const lockKey = q.server === undefined || q.cloud === undefined ? undefined : serverLockKey({ cloud: q.cloud, server: q.server });
      const page = await visibleJobsPage(
        deps,
        c.var.principal,
        // jobs lock on the server's id and keep its name as the alias: either spelling finds them
        { ...(q.state ? { state: q.state } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(lockKey !== undefined ? { lockKeyOrAlias: lockKey } : {}) },
        { limit: q.limit, ...(before !== undefined ? { before } : {}) },
      );
      return c.json({ jobs: page.jobs.map(toJobView), next: page.nextBefore === null ? null : encodeJobCursor(page.nextBefore) });
    },
  });

  const get = defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}',
    summary: 'Get a job',
    scope: 'read',
    targets: 'hidden',
    params: jobIdParams,
    responses: { 200: { description: 'the job', schema: jobReply }, ...authResponses(), 404: notFoundDoc },
    async handle(c, { params }) {
      return c.json(toJobView(await visibleJobOr404(deps, params.id, c.var.principal)));
    },
  });

  const events = defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}/events',
    summary: "A job's events, oldest first",
    scope: 'read',
    targets: 'hidden',
    params: jobIdParams,
    query: eventsQuery,
    responses: {
      200: { description: 'events after `after`', schema: eventsReply },
      400: { description: 'invalid query', schema: errorReply },
      ...authResponses(),
      404: notFoundDoc,
    },
    async handle(c, { params, query: q }) {
      const job = await visibleJobOr404(deps, params.id, c.var.principal);
      const rows = await deps.store.listEvents(job.id, q.after, q.limit);
      const last = rows[rows.length - 1];
      return c.json({ events: rows.map(toEventView), next: rows.length === q.limit && last ? last.seq : null });
    },
  });

  const cancel = defineRoute({
    method: 'post',
    path: '/v1/jobs/{id}/cancel',
    summary: 'Cancel a job (cleanup runs if it already created something)',
    scope: 'submit',
    targets: 'hidden',
    params: jobIdParams,
    responses: {
      202: { description: 'cancel accepted', schema: jobReply },
      ...authResponses(),
      404: notFoundDoc,
      409: { description: 'job already finished', schema: errorReply },
    },
    async handle(c, { params }) {
      const job = await visibleJobOr404(deps, params.id, c.var.principal);
      if (isTerminal(job)) throw conflict('job_finished', `job ${job.id} already ${job.state}`);
      const after = await deps.engine.cancel(job.id);
      if (!after) throw notFound(`job "${job.id}"`);
      // It may have finished on its own between the read and the cancel.
      if (isTerminal(after) && after.state !== 'cancelled') throw conflict('job_finished', `job ${job.id} already ${after.state}`);
      return c.json(toJobView(after), 202);
    },
  });

  return [list, get, events, cancel];
}
