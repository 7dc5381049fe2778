// GET /v1/jobs/:id/wait?timeout=: long-poll until the job is terminal or the timeout
// passes. Wakes on this process's engine events (JobNotifier) and re-reads the store at
// least every `waitRecheckMs` for jobs other instances run. Holds no DB connection while
// waiting (each read is one short query) and stops when the client goes away.
import type { Hono } from 'hono';
import { requireAuth } from '../../shared/auth/middleware';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';
import { isTerminal, jobOr404 } from './jobs-routes';
import { toJobView } from './job-view';
import { waitQuery } from './schemas';
import { parseWith } from './validate';

export function registerWaitRoute(app: Hono<AppEnv>, deps: AppDeps): void {
  const recheckMs = Math.max(10, deps.waitRecheckMs ?? 1000);

  app.get('/jobs/:id/wait', requireAuth({ tokens: deps.auth.tokens, scope: 'read' }), async (c) => {
    const q = parseWith(waitQuery, c.req.query(), 'query');
    const id = c.req.param('id');
    const signal = c.req.raw.signal;
    const deadline = Date.now() + q.timeout * 1000;
    // Watch before the first read: an event landing between the read and the wait is kept.
    const watch = deps.notifier.watch(id);
    try {
      let job = await jobOr404(deps, id);
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
  });
}
