// Deleting snapflow images and the Cinder snapshots volume-backed ones reference.
// Cinder snapshots go first: once an image is gone nothing records which ones belonged to
// it. The images go only once all those snapshots are gone, not merely `deleting`: a job
// that deletes the server next (rename, move) needs its root volume free of snapshots, or
// Cinder keeps a delete-on-termination volume behind. Until then no image is deleted, so a
// walk that answers busy leaves the list whole and the final walk reports every image.
// A 404 on either means already gone (an earlier attempt), which is fine.
import type { OpenStackClient } from '../../shared/openstack/client';
import { OpenStackError } from '../../shared/openstack/errors';
import { type Image, imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { findJobImages } from './tags';

type Release = { kind: 'gone' } | { kind: 'busy'; reason: string };

/** Deletes the image's Cinder snapshots; gone once none is left (a snapshot still creating cannot be deleted yet). */
async function releaseSnapshots(os: OpenStackClient, imageId: string, volumeSnapshotIds: readonly string[]): Promise<Release> {
  const pending: string[] = [];
  for (const id of volumeSnapshotIds) {
    const snap = await orNull(os.volume.getSnapshot(id));
    if (!snap || snap.status === 'deleted') continue;
    if (snap.status === 'creating') return { kind: 'busy', reason: `volume snapshot ${id} of image ${imageId} still creating` };
    if (snap.status !== 'deleting') await orNull(os.volume.deleteSnapshot(id));
    pending.push(id);
  }
  if (pending.length === 0) return { kind: 'gone' };
  return { kind: 'busy', reason: `waiting for Cinder to delete volume snapshot(s) ${pending.join(', ')} of image ${imageId}` };
}

export type DeleteWalk = { kind: 'busy'; reason: string } | { kind: 'done'; deleted: string[]; refused: string[] };

/**
 * Deletes the images after all their Cinder snapshots are gone; answers busy (having
 * deleted no image) while Cinder still works on one, so the step can wait() and walk the
 * (idempotent) list again. With `collect`, a refusal that retrying cannot fix is noted and
 * the walk goes on without that image; transient errors always throw, so the engine
 * retries the whole walk.
 */
export async function deleteImagesOrWait(
  os: OpenStackClient,
  images: readonly { id: string; volumeSnapshotIds: readonly string[] }[],
  opts: { refusals: 'collect' | 'throw'; onEach?: (done: number, total: number) => Promise<unknown> },
): Promise<DeleteWalk> {
  const refused: string[] = [];
  const refuse = (id: string, err: unknown) => {
    if (opts.refusals === 'throw' || !(err instanceof OpenStackError) || err.retryable) throw err;
    refused.push(`${id}: ${err.message}`);
  };
  const busy: string[] = [];
  const ready: string[] = [];
  for (const image of images) {
    try {
      const r = await releaseSnapshots(os, image.id, image.volumeSnapshotIds);
      if (r.kind === 'busy') busy.push(r.reason);
      else ready.push(image.id);
    } catch (err) {
      refuse(image.id, err);
    }
  }
  if (busy.length > 0) return { kind: 'busy', reason: busy.length === 1 ? busy[0]! : `${busy[0]} (and ${busy.length - 1} more images)` };
  const deleted: string[] = [];
  for (const [n, id] of ready.entries()) {
    await opts.onEach?.(n, ready.length);
    try {
      await orNull(os.image.delete(id));
      deleted.push(id);
    } catch (err) {
      refuse(id, err);
    }
  }
  return { kind: 'done', deleted, refused };
}

/** Glance images as listed, each with the Cinder snapshots it references; refusals throw. */
export function deleteListedImages(os: OpenStackClient, images: readonly Image[]): Promise<DeleteWalk> {
  return deleteImagesOrWait(
    os,
    images.map((i) => ({ id: i.id, volumeSnapshotIds: imageVolumeSnapshotIds(i) })),
    { refusals: 'throw' },
  );
}

/** Every image tagged with the job (snapflow_job) in each of these clouds, found again on every walk. */
export async function deleteJobTaggedImages(clients: readonly OpenStackClient[], jobId: string): Promise<DeleteWalk> {
  const deleted: string[] = [];
  for (const os of clients) {
    const walk = await deleteListedImages(os, await findJobImages(os, jobId));
    if (walk.kind === 'busy') return walk;
    deleted.push(...walk.deleted);
  }
  return { kind: 'done', deleted, refused: [] };
}
