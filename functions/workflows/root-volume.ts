// The image a volume-backed server's root volume holds, as Cinder records it in
// volume_image_metadata (Nova shows `image: ""` for such servers).
import type { OpenStackClient } from '../../shared/openstack/client';
import type { Server } from '../../shared/openstack/compute-schemas';
import { attachedVolumeIds } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { Volume } from '../../shared/openstack/volume';

function isBootable(v: Volume): boolean {
  return v.bootable === true || v.bootable === 'true';
}

/** The root volume: attached at the server's root device name, else the first bootable one. */
export async function rootVolume(os: OpenStackClient, server: Server): Promise<Volume | undefined> {
  const rootDevice = (server as Record<string, unknown>)['OS-EXT-SRV-ATTR:root_device_name'];
  const volumes: Volume[] = [];
  for (const id of attachedVolumeIds(server)) {
    const v = await orNull(os.volume.getVolume(id));
    if (v) volumes.push(v);
  }
  const atRoot = volumes.find((v) =>
    v.attachments.some((a) => a.server_id === server.id && typeof rootDevice === 'string' && (a as Record<string, unknown>).device === rootDevice),
  );
  return atRoot ?? volumes.find(isBootable) ?? volumes[0];
}

/** image_id from the root volume's volume_image_metadata; undefined when Cinder has none. */
export async function rootVolumeImageId(os: OpenStackClient, server: Server): Promise<string | undefined> {
  const v = await rootVolume(os, server);
  const id = v?.volume_image_metadata?.image_id;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
