// GET /v1/snapshots?cloud=&server=: the images snapflow made, with their policy and age.
// Without `server`, the list is narrowed to the servers the token may target.
import { canTarget, describeTarget } from '../../shared/auth/principal';
import { type AnyRoute, authResponses, defineRoute, errorReply } from './api-route';
import type { AppDeps } from './app-deps';
import { cloudReadError } from './cloud-errors';
import { forbidden } from './envelope';
import { snapshotsQuery, snapshotsReply } from './schemas';

export function snapshotsRoutes(deps: AppDeps): AnyRoute[] {
  const now = deps.now ?? Date.now;

  const list = defineRoute({
    method: 'get',
    path: '/v1/snapshots',
    summary: 'List snapflow snapshots with policy and age',
    scope: 'read',
    targets: 'forbidden',
    query: snapshotsQuery,
    responses: {
      200: { description: 'snapshots', schema: snapshotsReply },
      400: { description: 'invalid query, unknown cloud', schema: errorReply },
      ...authResponses(),
      404: { description: 'unknown server', schema: errorReply },
      409: { description: 'several servers have that name', schema: errorReply },
      502: { description: 'the cloud refused the login or failed (error.details.requestId)', schema: errorReply },
    },
    async handle(c, { query: q }) {
      const principal = c.var.principal;
      if (q.server !== undefined && !canTarget(principal, { cloud: q.cloud, server: q.server })) {
        throw forbidden(`token "${principal.name}" may not target ${describeTarget({ cloud: q.cloud, server: q.server })}`, 'server');
      }
      const list = await deps.snapshots.list({ cloud: q.cloud, ...(q.server !== undefined ? { server: q.server } : {}) }).catch((err: unknown) => {
        throw cloudReadError(err, q);
      });
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
    },
  });

  return [list];
}
