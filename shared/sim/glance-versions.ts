// Glance's version document (GET / and GET /versions), shared by the image routes.
import type { Ctx } from './router';
import { json } from './router';

export function glanceVersions(ctx: Ctx, status: number): void {
  const ids = ['v2.15', 'v2.13', 'v2.12', 'v2.11', 'v2.10', 'v2.9', 'v2.8', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0'];
  json(ctx, status, {
    versions: ids.map((id, i) => ({ id, status: i === 0 ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href: `${ctx.base}/v2/` }] })),
  });
}
