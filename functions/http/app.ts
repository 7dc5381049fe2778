// createApp: snapflow's HTTP API as one runtime-agnostic Hono app, served by
// @hono/node-server on Node and as the Workers `fetch` handler. Everything stateful is
// injected (AppDeps), so both entry points (and the tests) build it the same way. Every
// route is a declaration in the route table (api-route.ts).
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { type AnyRoute, allowedMethods, registerRoutes } from './api-route';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';
import { ApiError } from './envelope';
import { healthRoute } from './health-routes';
import { hooksRoutes, MAX_HOOK_BODY_BYTES } from './hooks-routes';
import { jobsRoutes } from './jobs-routes';
import { submitRoute } from './jobs-submit-route';
import { waitRoute } from './jobs-wait-route';
import { httpMetricsMiddleware, metricsRoute } from './metrics';
import { openApiRoutes } from './openapi';
import { runnerRoutes } from './runner-routes';
import { schedulesRoutes } from './schedules-routes';
import { snapshotsRoutes } from './snapshots-routes';

export type { AppDeps } from './app-deps';
export type { AppEnv } from './app-env';

/** Job requests are small; a larger body is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

const consoleLog = { error: (m: string, d?: Record<string, unknown>) => console.error(`[http] ${m}`, d ?? '') };

/** Every route of the API, in the order the OpenAPI document lists them. */
export function apiRoutes(deps: AppDeps, app: OpenAPIHono<AppEnv>): AnyRoute[] {
  return [
    submitRoute(deps),
    ...jobsRoutes(deps),
    waitRoute(deps),
    ...schedulesRoutes(deps),
    ...snapshotsRoutes(deps),
    ...hooksRoutes(deps),
    ...(deps.runner ? runnerRoutes(deps.runner) : []),
    healthRoute(deps),
    metricsRoute(deps),
    ...openApiRoutes(app),
  ];
}

export type SnapflowApp = OpenAPIHono<AppEnv> & { routeTable: readonly AnyRoute[] };

export function createApp(deps: AppDeps): SnapflowApp {
  const log = deps.log ?? consoleLog;
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', requestId());
  app.use('*', httpMetricsMiddleware(deps));
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => c.json(new ApiError(413, 'body_too_large', `request body exceeds ${maxSize} bytes`, { field: 'body' }).body(c.var.requestId), 413),
    });
  const jobBodies = limit(MAX_BODY_BYTES);
  const hookBodies = limit(MAX_HOOK_BODY_BYTES);
  app.use('/v1/*', (c, next) => (c.req.path.startsWith('/v1/hooks/') ? hookBodies : jobBodies)(c, next));

  const routes = apiRoutes(deps, app);
  registerRoutes(app, routes, { tokens: deps.auth.tokens });

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const allow = allowedMethods(routes, path);
    if (allow.length > 0) {
      c.header('Allow', allow.join(', '));
      return c.json(
        new ApiError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${path} (allowed: ${allow.join(', ')})`).body(c.var.requestId),
        405,
      );
    }
    return c.json(new ApiError(404, 'not_found', `no route for ${c.req.method} ${path}`).body(c.var.requestId), 404);
  });

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
    log.error('unhandled error', {
      requestId: rid,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return c.json(new ApiError(500, 'internal', `internal error (request id ${rid})`).body(rid), 500);
  });

  return Object.assign(app, { routeTable: routes });
}
