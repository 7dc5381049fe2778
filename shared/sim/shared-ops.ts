// Operations more than one service needs (Nova creates volumes and images, Cinder uploads images).
import { copyFile, writeFile } from 'node:fs/promises';
import { uuid } from './http-util';
import type { Bdm, Image, Volume, VolumeStatus } from './model';
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
    imageMeta: o.image ? volumeImageMeta(o.image) : (srcVol?.imageMeta ?? null),
    contentImageId: o.image?.id ?? srcVol?.contentImageId ?? null,
    attachments: [],
  };
  s.volumes.set(v.id, v);
  s.after(s.delay('volume'), () => {
    // Cinder flips bootable once the image data is in (the create response says "false")
    v.bootable = Boolean(o.image) || Boolean(srcVol?.bootable);
    if (v.status !== 'creating') return;
    v.status = o.status ?? 'available';
    v.updatedAt = Date.now();
  });
  return v;
}

/** Server deletion: detach the volume, delete it when asked and it has no snapshots (as Cinder refuses). */
export function detachAndMaybeDelete(s: SimState, d: Bdm): void {
  const v = s.volumes.get(d.volumeId);
  if (!v) return;
  v.attachments = [];
  v.status = 'available';
  v.updatedAt = Date.now();
  const hasSnaps = [...s.snapshots.values()].some((x) => x.volumeId === v.id);
  if (d.deleteOnTermination && !hasSnaps) s.volumes.delete(v.id);
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
