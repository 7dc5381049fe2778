// GET /v1/jobs/:id/wait?timeout=: long-poll until the job is terminal or the timeout
// passes. Wakes on this process's engine events (JobNotifier) and re-reads the store at
// least every `waitRecheckMs` for jobs other instances run. Holds no DB connection while
// waiting (each read is one short query) and stops when the client goes away.
import { type AnyRoute, authResponses, defineRoute, errorReply } from './api-route';
import type { AppDeps } from './app-deps';
import { visibleJobOr404 } from './job-access';
import { toJobView } from './job-view';
import { isTerminal, jobIdParams } from './jobs-routes';
import { waitQuery, waitReply } from './schemas';

export function waitRoute(deps: AppDeps): AnyRoute {
  const recheckMs = Math.max(10, deps.waitRecheckMs ?? 1000);

  return defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}/wait',
    summary: 'Long-poll until the job finishes or the timeout passes',
    scope: 'read',
    targets: 'hidden',
    params: jobIdParams,
    query: waitQuery,
    responses: {
      200: { description: 'the job; timedOut tells whether it is still unfinished', schema: waitReply },
      400: { description: 'invalid query', schema: errorReply },
      ...authResponses(),
      404: { description: 'unknown job (or one the token may not see)', schema: errorReply },
    },
    async handle(c, { params, query: q }) {
      const id = params.id;
      const signal = c.req.raw.signal;
      const deadline = Date.now() + q.timeout * 1000;
      // Watch before the first read: an event landing between the read and the wait is kept.
      const watch = deps.notifier.watch(id);
      try {
        let job = await visibleJobOr404(deps, id, c.var.principal);
        while (!isTerminal(job)) {
          const left = deadline - Date.now();
          if (left <= 0) break;
          const why = await watch.next(Math.min(recheckMs, left), signal);
          if (why === 'aborted') break;
          job = (await deps.store.getJob(id)) ?? job;
        }
        return c.json({ ...toJobView(job), timedOut: !isTerminal(job) });
      } finally {
        watch.close();
      }
    },
  });
}
