// GET /v1/snapshots: snapflow's images in one cloud entry, optionally of one server (by id
// or exact name), newest first, with the policy they were made for and their job.
import type { OpenStackClient } from '../shared/openstack/client';
import { ConflictError, NotFoundError } from '../shared/openstack/errors';
import { imageProperty, type Image } from '../shared/openstack/image-schemas';
import { SNAPFLOW_TAGS } from '../shared/workflows/tags';
import type { SnapshotInfo, SnapshotService } from './http/app-deps';
import { ApiError, badRequest } from './http/envelope';

export function createSnapshotService(openstack: (cloud: string) => OpenStackClient): SnapshotService {
  return {
    async list({ cloud, server }) {
      // An unknown cloud or server is the caller's mistake (a 4xx naming it, as POST /v1/jobs
      // answers), not an internal error.
      let os: OpenStackClient;
      try {
        os = openstack(cloud);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'unknown_cloud') throw badRequest('unknown_cloud', `cloud: "${cloud}" is not a configured cloud`, 'cloud');
        throw err;
      }
      let serverId: string | undefined;
      let serverName: string | null = null;
      if (server !== undefined) {
        try {
          const s = await os.compute.resolveServer(server);
          serverId = s.id;
          serverName = s.name;
        } catch (err) {
          if (err instanceof NotFoundError) throw new ApiError(404, 'server_not_found', `server: no server "${server}" in cloud "${cloud}"`, { field: 'server' });
          if (err instanceof ConflictError) throw new ApiError(409, 'server_ambiguous', `server: ${err.serverMessage ?? err.message}; use the server id`, { field: 'server' });
          throw err;
        }
      }
      // Only images snapflow tagged: a filter on snapflow_server when we know the server,
      // otherwise every image that carries a snapflow_job tag (checked again below).
      const images = await os.image.listAll(serverId ? { filters: { [SNAPFLOW_TAGS.server]: serverId } } : {});
      const mine = images.filter(
        (i) => imageProperty(i, SNAPFLOW_TAGS.job) !== undefined && (serverId === undefined || imageProperty(i, SNAPFLOW_TAGS.server) === serverId),
      );
      return mine.map((i) => view(cloud, i, serverName)).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },
  };
}

function view(cloud: string, i: Image, serverName: string | null): SnapshotInfo {
  const policy = imageProperty(i, SNAPFLOW_TAGS.policy) ?? null;
  return {
    id: i.id,
    name: i.name ?? '',
    status: i.status,
    cloud,
    server: serverName,
    serverId: imageProperty(i, SNAPFLOW_TAGS.server) ?? null,
    policy: policy === 'manual' ? null : policy,
    jobId: imageProperty(i, SNAPFLOW_TAGS.job) ?? null,
    createdAt: new Date(i.created_at ?? 0),
    sizeBytes: typeof i.size === 'number' ? i.size : null,
  };
}
