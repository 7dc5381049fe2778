// Operations more than one service needs (Nova creates volumes and images, Cinder uploads images).
// A volume's bytes are a file, as on the lab's file-backed Cinder: made from an image or a
// snapshot, copied into a snapshot, uploaded to Glance and re-imaged by a 2.93 rebuild.
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { uuid } from './http-util';
import type { Bdm, Image, VolSnapshot, Volume, VolumeStatus } from './model';
import type { Ctx } from './router';
import type { SimState } from './state';

/** Glance's visibility rules for GET (admin sees everything). */
export function imageVisible(ctx: Ctx, img: Image): boolean {
  const t = ctx.token!;
  if (t.roles.includes('admin')) return true;
  if (img.owner === t.projectId || img.visibility === 'public' || img.visibility === 'community') return true;
  return img.visibility === 'shared' && img.members.has(t.projectId);
}

/** Glance core properties as Cinder copies them into volume_image_metadata (all strings). */
export function volumeImageMeta(img: Image): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(img.props)) out[k] = String(v);
  Object.assign(out, {
    image_id: img.id,
    image_name: img.name ?? '',
    checksum: img.checksum ?? '',
    container_format: img.containerFormat ?? '',
    disk_format: img.diskFormat ?? '',
    min_disk: String(img.minDisk),
    min_ram: String(img.minRam),
    size: String(img.size ?? 0),
  });
  return out;
}

export function createVolumeRecord(
  ctx: Ctx,
  o: { size: number; name: string | null; image?: Image; snapshotId?: string; status?: VolumeStatus; description?: string | null },
): Volume {
  const s = ctx.state;
  const snap = o.snapshotId ? s.snapshots.get(o.snapshotId) : undefined;
  const srcVol = snap ? s.volumes.get(snap.volumeId) : undefined;
  const v: Volume = {
    id: uuid(),
    name: o.name,
    projectId: ctx.token!.projectId,
    userId: ctx.token!.userId,
    size: o.size,
    status: 'creating',
    bootable: false,
    createdAt: Date.now(),
    updatedAt: null,
    snapshotId: o.snapshotId ?? null,
    sourceVolid: null,
    description: o.description ?? null,
    metadata: {},
    imageMeta: o.image ? volumeImageMeta(o.image) : (snap?.imageMeta ?? null),
    attachments: [],
  };
  s.volumes.set(v.id, v);
  // The bytes are taken at once: the source image may be deleted, the snapshot is immutable.
  if (o.image?.filePath) copyFileSync(o.image.filePath, s.volumePath(v.id));
  else if (snap) copyFileSync(s.snapshotPath(snap.id), s.volumePath(v.id));
  else writeFileSync(s.volumePath(v.id), '');
  const fails = s.takeFailure('volumeCreate');
  s.after(s.delay('volume'), () => {
    if (v.status !== 'creating') return;
    v.updatedAt = Date.now();
    if (fails) {
      v.status = 'error';
      return;
    }
    // Cinder flips bootable once the image data is in (the create response says "false")
    v.bootable = Boolean(o.image) || Boolean(srcVol?.bootable) || Boolean(snap?.imageMeta);
    v.status = o.status ?? 'available';
  });
  return v;
}

/** A Cinder snapshot of v: its bytes and its volume_image_metadata as they are now. */
export function snapshotRecord(
  s: SimState,
  v: Volume,
  o: { name: string | null; description: string | null; userId: string; metadata?: Record<string, string> },
): VolSnapshot {
  const sn: VolSnapshot = {
    id: uuid(),
    name: o.name,
    volumeId: v.id,
    projectId: v.projectId,
    userId: o.userId,
    size: v.size,
    status: 'creating',
    createdAt: Date.now(),
    updatedAt: null,
    description: o.description,
    metadata: o.metadata ?? {},
    imageMeta: v.imageMeta ? { ...v.imageMeta } : null,
  };
  s.snapshots.set(sn.id, sn);
  copyFileSync(s.volumePath(v.id), s.snapshotPath(sn.id));
  s.after(s.delay('volumeSnapshot'), () => {
    if (sn.status !== 'creating') return;
    sn.status = 'available';
    sn.updatedAt = Date.now();
  });
  return sn;
}

export function dropVolume(s: SimState, id: string): void {
  s.volumes.delete(id);
  rmSync(s.volumePath(id), { force: true });
}

export function dropSnapshot(s: SimState, id: string): void {
  s.snapshots.delete(id);
  rmSync(s.snapshotPath(id), { force: true });
}

/** Server deletion: detach the volume, delete it when asked and it has no snapshots (as Cinder refuses). */
export function detachAndMaybeDelete(s: SimState, d: Bdm): void {
  const v = s.volumes.get(d.volumeId);
  if (!v) return;
  v.attachments = [];
  v.status = 'available';
  v.updatedAt = Date.now();
  const hasSnaps = [...s.snapshots.values()].some((x) => x.volumeId === v.id);
  if (d.deleteOnTermination && !hasSnaps) dropVolume(s, v.id);
}

/** The lab's re-image (2.93 rebuild): the image's bytes become the volume's, with its metadata. */
export function reimageVolume(s: SimState, v: Volume, img: Image): void {
  if (img.filePath) copyFileSync(img.filePath, s.volumePath(v.id));
  v.imageMeta = volumeImageMeta(img);
  v.updatedAt = Date.now();
}

/** os-volume_upload_image's data: the volume file as it is, hashed as Glance does. */
export async function fillImageFromVolume(s: SimState, img: Image, v: Volume): Promise<void> {
  const path = s.imagePath(img.id);
  const data = await readFile(s.volumePath(v.id));
  await writeFile(path, data);
  Object.assign(img, { size: data.length, ...s.digestsOf(data) });
  img.filePath = path;
  // the disk's size, whatever the format (the lab pads raw data to it, qcow2 reports it)
  img.virtualSize = v.size * 2 ** 30;
}

/** Store bytes for img: a copy of src's file (no buffering) or a short payload; sets the hashes. */
export async function fillImageData(s: SimState, img: Image, src: Image | undefined, fallback: string): Promise<void> {
  const path = s.imagePath(img.id);
  if (src?.filePath && src.status === 'active') {
    await copyFile(src.filePath, path);
    Object.assign(img, { size: src.size, checksum: src.checksum, hashAlgo: src.hashAlgo, hashValue: src.hashValue });
  } else {
    const data = Buffer.from(fallback);
    await writeFile(path, data);
    Object.assign(img, { size: data.length, ...s.digestsOf(data) });
  }
  img.filePath = path;
  img.virtualSize = img.diskFormat === 'raw' ? img.size : null;
}

export function countImages(s: SimState, owner: string): number {
  return [...s.images.values()].filter((i) => i.owner === owner).length;
}
