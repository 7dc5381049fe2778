// GET /healthz (no auth): liveness plus what the service talks to. When it runs against
// the built-in simulator it says so loudly (body, header), so nobody mistakes a demo
// deployment for one that snapshots real VMs.
import type { Hono } from 'hono';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';

export const SIMULATOR_WARNING = 'SIMULATOR MODE: OpenStack calls go to the built-in simulator; no real cloud is touched';

export function registerHealthRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/healthz', async (c) => {
    const h = await deps.health();
    c.header('Cache-Control', 'no-store');
    c.header('X-Snapflow-Mode', h.mode);
    const body = { ...h, ...(h.mode === 'simulator' ? { warning: SIMULATOR_WARNING } : {}) };
    return c.json(body, h.status === 'down' ? 503 : 200);
  });
}
