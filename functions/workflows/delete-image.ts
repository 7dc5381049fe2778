// Deleting a snapflow image and the Cinder snapshots a volume-backed one references.
// Cinder snapshots go first: once the image is gone nothing records which ones belonged
// to it. A 404 on either means already gone (an earlier attempt), which is fine.
import type { OpenStackClient } from '../../shared/openstack/client';
import { orNull } from '../../shared/openstack/or-null';

export type DeleteResult = { kind: 'deleted'; volumeSnapshotIds: string[] } | { kind: 'busy'; reason: string };

/** Cinder refuses to delete a snapshot still creating: report it as busy so the caller waits. */
export async function deleteImageWithSnapshots(os: OpenStackClient, imageId: string, volumeSnapshotIds: readonly string[]): Promise<DeleteResult> {
  for (const id of volumeSnapshotIds) {
    const snap = await orNull(os.volume.getSnapshot(id));
    if (!snap || snap.status === 'deleting' || snap.status === 'deleted') continue;
    if (snap.status === 'creating') return { kind: 'busy', reason: `volume snapshot ${id} still creating` };
    await orNull(os.volume.deleteSnapshot(id));
  }
  await orNull(os.image.delete(imageId));
  return { kind: 'deleted', volumeSnapshotIds: [...volumeSnapshotIds] };
}
