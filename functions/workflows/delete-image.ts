// Deleting a snapflow image and the Cinder snapshots a volume-backed one references.
// Cinder snapshots go first: once the image is gone nothing records which ones belonged
// to it. A 404 on either means already gone (an earlier attempt), which is fine.
import type { OpenStackClient } from '../../shared/openstack/client';
import { OpenStackError } from '../../shared/openstack/errors';
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

export type DeleteWalk = { kind: 'busy'; reason: string } | { kind: 'done'; deleted: string[]; refused: string[] };

/**
 * Deletes each image (after its Cinder snapshots), stopping at the first one Cinder is still
 * busy with so the step can wait() and walk the (idempotent) list again. With `collect`,
 * a refusal that retrying cannot fix is noted and the walk goes on; transient errors always
 * throw, so the engine retries the whole walk.
 */
export async function deleteImagesOrWait(
  os: OpenStackClient,
  images: readonly { id: string; volumeSnapshotIds: readonly string[] }[],
  opts: { refusals: 'collect' | 'throw'; onEach?: (done: number, total: number) => Promise<unknown> },
): Promise<DeleteWalk> {
  const deleted: string[] = [];
  const refused: string[] = [];
  for (const [n, image] of images.entries()) {
    await opts.onEach?.(n, images.length);
    try {
      const r = await deleteImageWithSnapshots(os, image.id, image.volumeSnapshotIds);
      if (r.kind === 'busy') return r;
      deleted.push(image.id);
    } catch (err) {
      if (opts.refusals === 'throw' || !(err instanceof OpenStackError) || err.retryable) throw err;
      refused.push(`${image.id}: ${err.message}`);
    }
  }
  return { kind: 'done', deleted, refused };
}
