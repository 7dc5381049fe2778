// createApp: snapflow's HTTP API as one runtime-agnostic Hono app, served by
// @hono/node-server on Node and as the Workers `fetch` handler. Everything stateful is
// injected (AppDeps), so both entry points (and the tests) build it the same way.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';
import { ApiError } from './envelope';
import { registerHealthRoutes } from './health-routes';
import { registerJobsRoutes } from './jobs-routes';
import { registerSubmitRoute } from './jobs-submit-route';
import { registerWaitRoute } from './jobs-wait-route';
import { httpMetricsMiddleware, registerMetricsRoute } from './metrics';
import { registerOpenApiRoute } from './openapi';
import { registerSchedulesRoutes } from './schedules-routes';
import { registerSnapshotsRoutes } from './snapshots-routes';

export type { AppDeps } from './app-deps';
export type { AppEnv } from './app-env';

/** Job requests are small; a larger body is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

const consoleLog = { error: (m: string, d?: Record<string, unknown>) => console.error(`[http] ${m}`, d ?? '') };

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const log = deps.log ?? consoleLog;
  const app = new Hono<AppEnv>();

  app.use('*', requestId());
  app.use('*', httpMetricsMiddleware(deps));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(new ApiError(413, 'body_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`).body(c.var.requestId), 413),
    }),
  );

  const v1 = new Hono<AppEnv>();
  registerSubmitRoute(v1, deps);
  registerWaitRoute(v1, deps);
  registerJobsRoutes(v1, deps);
  registerSchedulesRoutes(v1, deps);
  registerSnapshotsRoutes(v1, deps);
  app.route('/v1', v1);

  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, deps);
  registerOpenApiRoute(app, deps);

  app.notFound((c) => c.json(new ApiError(404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`).body(c.var.requestId), 404));

  app.onError((err, c) => {
    const rid = c.var.requestId;
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.extra.headers ?? {})) c.header(k, v);
      return c.json(err.body(rid), err.status);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return c.json(new ApiError(err.status, 'bad_request', err.message || 'bad request').body(rid), err.status);
    }
    // Internals (SQL, stack, OpenStack bodies) stay in the log, keyed by the request id.
    log.error('unhandled error', { requestId: rid, method: c.req.method, path: new URL(c.req.url).pathname, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    return c.json(new ApiError(500, 'internal', `internal error (request id ${rid})`).body(rid), 500);
  });

  return app;
}
