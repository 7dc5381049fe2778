// GET /v1/snapshots: snapflow's images in one cloud entry, optionally of one server (by id
// or exact name), newest first, with the policy they were made for and their job.
import type { OpenStackClient } from '../shared/openstack/client';
import { type Image, imageProperty } from '../shared/openstack/image-schemas';
import { SNAPFLOW_TAGS } from './workflows/tags';

export interface SnapshotInfo {
  id: string;
  name: string;
  status: string;
  cloud: string;
  /** name of the server it was taken from (null if unknown) */
  server: string | null;
  serverId: string | null;
  /** retention policy (schedule name) it was made for, null for a manual snapshot */
  policy: string | null;
  jobId: string | null;
  createdAt: Date;
  sizeBytes: number | null;
}

export interface SnapshotService {
  list(q: { cloud: string; server?: string }): Promise<SnapshotInfo[]>;
}

export function createSnapshotService(openstack: (cloud: string) => OpenStackClient): SnapshotService {
  return {
    async list({ cloud, server }) {
      const os = openstack(cloud);
      let serverId: string | undefined;
      let serverName: string | null = null;
      if (server !== undefined) {
        const s = await os.compute.resolveServer(server);
        serverId = s.id;
        serverName = s.name;
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
