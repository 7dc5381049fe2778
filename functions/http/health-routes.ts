// GET /healthz (no auth): liveness plus what the service talks to. When it runs against
// the built-in simulator it says so loudly (body, header), so nobody mistakes a demo
// deployment for one that snapshots real VMs.
import { type AnyRoute, defineRoute } from './api-route';
import type { AppDeps } from './app-deps';
import { healthReply } from './schemas';

export const SIMULATOR_WARNING = 'SIMULATOR MODE: OpenStack calls go to the built-in simulator; no real cloud is touched';

export function healthRoute(deps: AppDeps): AnyRoute {
  return defineRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Health, and whether it runs against the simulator',
    scope: null,
    targets: 'none',
    responses: { 200: { description: 'healthy or degraded', schema: healthReply }, 503: { description: 'down', schema: healthReply } },
    async handle(c) {
      const h = await deps.health();
      c.header('Cache-Control', 'no-store');
      c.header('X-Snapflow-Mode', h.mode);
      const body = { ...h, ...(h.mode === 'simulator' ? { warning: SIMULATOR_WARNING } : {}) };
      return c.json(body, h.status === 'down' ? 503 : 200);
    },
  });
}
