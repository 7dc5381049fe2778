// GET /v1/snapshots?cloud=&server=: the images snapflow made, with their policy and age.
// Without `server`, the list is narrowed to the servers the token may target.
import type { Hono } from 'hono';
import { requireAuth } from '../../shared/auth/middleware';
import { canTarget, describeTarget } from '../../shared/auth/principal';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';
import { forbidden } from './envelope';
import { snapshotsQuery } from './schemas';
import { parseWith } from './validate';

export function registerSnapshotsRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const now = deps.now ?? Date.now;

  app.get('/snapshots', requireAuth({ tokens: deps.auth.tokens, scope: 'read' }), async (c) => {
    const q = parseWith(snapshotsQuery, c.req.query(), 'query');
    const principal = c.var.principal;
    if (q.server !== undefined && !canTarget(principal, { cloud: q.cloud, server: q.server })) {
      throw forbidden(`token "${principal.name}" may not target ${describeTarget({ cloud: q.cloud, server: q.server })}`, 'server');
    }
    const list = await deps.snapshots.list({ cloud: q.cloud, ...(q.server !== undefined ? { server: q.server } : {}) });
    const t = now();
    const visible = list.filter((s) => canTarget(principal, { cloud: s.cloud, server: s.server ?? '*' }));
    return c.json({
      snapshots: visible.map((s) => ({
        id: s.id,
        name: s.name,
        status: s.status,
        cloud: s.cloud,
        server: s.server,
        serverId: s.serverId,
        policy: s.policy,
        jobId: s.jobId,
        createdAt: s.createdAt.toISOString(),
        ageSeconds: Math.max(0, Math.floor((t - s.createdAt.getTime()) / 1000)),
        sizeBytes: s.sizeBytes,
      })),
    });
  });
}
