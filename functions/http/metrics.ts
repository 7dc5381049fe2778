// GET /metrics (Prometheus text) and the middleware counting HTTP requests by route
// pattern (never the raw path: ids would explode the series count).
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { type AnyRoute, defineRoute } from './api-route';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';

function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return routes[routes.length - 1]?.path ?? 'unmatched';
}

export function httpMetricsMiddleware(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    try {
      await next();
    } finally {
      deps.metrics.observeHttpRequest({ method: c.req.method, route: routeLabel(c), status: c.res.status, durationMs: Date.now() - started });
    }
  };
}

export function metricsRoute(deps: AppDeps): AnyRoute {
  return defineRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    scope: null,
    targets: 'none',
    responses: { 200: { description: 'text exposition format 0.0.4', mediaType: 'text/plain' } },
    async handle(c) {
      const text = await deps.metrics.registry.render();
      return c.body(text, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
    },
  });
}
