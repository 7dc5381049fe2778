// The Glance properties snapflow puts on what it creates, and the lookups by them.
import type { OpenStackClient } from '../../shared/openstack/client';
import type { Image } from '../../shared/openstack/image-schemas';
import { imageProperty } from '../../shared/openstack/image-schemas';

export const SNAPFLOW_TAGS = {
  job: 'snapflow_job',
  policy: 'snapflow_policy',
  server: 'snapflow_server',
  volumeBacked: 'snapflow_volume_backed',
} as const;

/** Images an earlier attempt of this job created (normally 0 or 1). */
export async function findJobImages(os: OpenStackClient, jobId: string): Promise<Image[]> {
  const list = await os.image.listAll({ filters: { [SNAPFLOW_TAGS.job]: jobId } });
  // Glance filters on the property already; checking again guards against a proxy or an
  // old Glance that ignores unknown filters (then every image would "match").
  return list.filter((i) => imageProperty(i, SNAPFLOW_TAGS.job) === jobId);
}

/** Snapflow snapshots of a server (any policy unless given). */
export async function findServerSnapshots(os: OpenStackClient, serverId: string, policy?: string): Promise<Image[]> {
  const filters: Record<string, string> = { [SNAPFLOW_TAGS.server]: serverId };
  if (policy !== undefined) filters[SNAPFLOW_TAGS.policy] = policy;
  const list = await os.image.listAll({ filters });
  return list.filter(
    (i) =>
      imageProperty(i, SNAPFLOW_TAGS.server) === serverId &&
      imageProperty(i, SNAPFLOW_TAGS.job) !== undefined &&
      (policy === undefined || imageProperty(i, SNAPFLOW_TAGS.policy) === policy),
  );
}

/** A snapshot of this server: made by snapflow for it, or by Nova from it (instance_uuid). */
export function isSnapshotOf(image: Image, serverId: string): boolean {
  return imageProperty(image, SNAPFLOW_TAGS.server) === serverId || imageProperty(image, 'instance_uuid') === serverId;
}
