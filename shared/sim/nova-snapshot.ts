// createImage / createBackup: the Glance image and (volume-backed) Cinder snapshots Nova makes.
import { rmSync, writeFileSync } from 'node:fs';
import { uuid } from './http-util';
import { blankImage, type Image, type Server } from './model';
import type { Ctx } from './router';
import { countImages, fillImageData, snapshotRecord } from './shared-ops';

export interface SnapshotRequest {
  name: string;
  metadata: Record<string, string>;
  backup?: { type: string; rotation: number };
}

export const IMAGE_QUOTA_500 =
  'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n' +
  "<class 'nova.exception.ImageQuotaExceeded'>";

export function imageQuotaExceeded(ctx: Ctx): boolean {
  const q = ctx.state.quotas.images;
  return q !== null && countImages(ctx.state, ctx.token!.projectId) >= q;
}

/** Properties nova.compute.utils.create_image puts on a snapshot (as seen on the lab's images). */
function snapshotProps(ctx: Ctx, server: Server, src: Image | undefined, req: SnapshotRequest): Record<string, unknown> {
  const s = ctx.state;
  const user = s.users.get(ctx.token!.userId);
  const project = s.projects.get(server.projectId);
  return {
    ...(src?.props ?? {}),
    ...(server.imageId ? { base_image_ref: server.imageId } : {}),
    owner_user_name: user?.name ?? '',
    owner_project_name: project?.name ?? '',
    boot_roles: ctx.token!.roles.join(','),
    instance_uuid: server.id,
    user_id: ctx.token!.userId,
    image_type: req.backup ? 'backup' : 'snapshot',
    ...(req.backup ? { backup_type: req.backup.type } : {}),
    ...req.metadata,
    owner_id: server.projectId,
    image_location: 'snapshot',
    image_state: 'available',
  };
}

function newImage(ctx: Ctx, server: Server, src: Image | undefined, req: SnapshotRequest): Image {
  const now = Date.now();
  const flavor = ctx.state.flavors.get(server.flavorId);
  const img: Image = {
    ...blankImage(uuid(), ctx.state.nextSeq(), ctx.token!.projectId, now),
    name: req.name,
    visibility: 'private',
    diskFormat: src?.diskFormat ?? 'raw',
    containerFormat: src?.containerFormat ?? 'bare',
    minRam: src?.minRam ?? 0,
    minDisk: flavor?.disk ?? 0,
    props: snapshotProps(ctx, server, src, req),
  };
  // an admin snapshotting another project's server: Nova shares the image with the server's project
  if (img.owner !== server.projectId) {
    img.visibility = 'shared';
    img.props.instance_owner = server.projectId;
    img.members.set(server.projectId, { memberId: server.projectId, status: 'pending', createdAt: now, updatedAt: now });
  }
  ctx.state.images.set(img.id, img);
  return img;
}

/** Image-backed: task_state walks pending -> snapshot -> pending_upload -> uploading; image queued -> saving -> active. */
export function snapshotImageBacked(ctx: Ctx, server: Server, req: SnapshotRequest): Image {
  const s = ctx.state;
  const src = server.imageId ? s.images.get(server.imageId) : undefined;
  const img = newImage(ctx, server, src, req);
  const step = s.delay('snapshot') / 4;
  server.taskState = 'image_snapshot_pending';
  const setTask = (t: string | null) => {
    if (!s.servers.has(server.id)) return;
    server.taskState = t;
    server.updated = Date.now();
  };
  s.after(step, () => setTask('image_snapshot'));
  s.after(2 * step, () => {
    setTask('image_pending_upload');
    if (img.status === 'queued') img.status = 'saving';
  });
  s.after(3 * step, () => setTask('image_uploading'));
  // Image deleted mid-snapshot: nova's _snapshot_instance catches ImageNotFound and clears
  // task_state (vm_state untouched), so the server is ACTIVE again and the snapshot just fails.
  const imageGone = () => !s.images.has(img.id);
  s.after(4 * step, () => {
    if (img.status !== 'saving' || imageGone()) return setTask(null);
    // the lab's driver uploads the source image bytes, or a short text when the source is gone
    fillImageData(s, img, src, `snapshot of ${server.id}\n`).then(
      () => {
        if (imageGone()) {
          // deleted while the bytes were being written: Glance's delete already ran, drop the orphan file
          rmSync(s.imagePath(img.id), { force: true });
          return setTask(null);
        }
        img.status = 'active';
        img.updatedAt = Date.now();
        setTask(null);
        if (req.backup) rotateBackups(ctx, server, req.backup);
      },
      () => {
        img.status = 'killed';
        setTask(null);
      },
    );
  });
  return img;
}

/** nova compute manager _rotate_backups: keep the `rotation` newest backups of this type. */
function rotateBackups(ctx: Ctx, server: Server, b: { type: string; rotation: number }): void {
  const backups = [...ctx.state.images.values()]
    .filter((i) => i.props.image_type === 'backup' && i.props.instance_uuid === server.id && i.props.backup_type === b.type)
    .sort((x, y) => y.createdAt - x.createdAt || y.seq - x.seq);
  for (const old of backups.slice(b.rotation)) ctx.state.images.delete(old.id);
}

/** Python json.dumps layout (", " and ": "): Nova stores block_device_mapping as that string. */
const pyJson = (rows: Array<Record<string, unknown>>): string =>
  `[${rows
    .map(
      (r) =>
        `{${Object.entries(r)
          .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
          .join(', ')}}`,
    )
    .join(', ')}]`;

/**
 * Volume-backed (compute api snapshot_volume_backed, checked on the lab): a size-0 image whose
 * properties are the instance's image system metadata + user metadata + the BDM; no
 * instance_uuid / image_type. One forced Cinder snapshot per volume, creating -> available.
 */
export function snapshotVolumeBacked(ctx: Ctx, server: Server, req: SnapshotRequest): Image {
  const s = ctx.state;
  const rootVol = s.volumes.get(server.bdms[0]?.volumeId ?? '');
  const srcId = rootVol?.imageMeta?.image_id;
  const src = srcId ? s.images.get(srcId) : undefined;
  const img = newImage(ctx, server, src, req);
  const rows: Array<Record<string, unknown>> = [];
  for (const d of server.bdms) {
    const vol = s.volumes.get(d.volumeId);
    if (!vol) continue;
    const snap = snapshotRecord(s, vol, { name: `snapshot for ${req.name}`, description: vol.description, userId: ctx.token!.userId });
    rows.push({
      encrypted: null,
      tag: null,
      snapshot_id: snap.id,
      source_type: 'snapshot',
      disk_bus: null,
      delete_on_termination: d.deleteOnTermination,
      encryption_secret_uuid: null,
      volume_size: vol.size,
      destination_type: 'volume',
      boot_index: d.bootIndex,
      guest_format: null,
      volume_id: null,
      encryption_options: null,
      encryption_format: null,
      device_name: d.device,
      device_type: null,
      volume_type: null,
      no_device: null,
      image_id: null,
    });
  }
  const user = s.users.get(ctx.token!.userId);
  img.props = {
    ...(src?.props ?? {}),
    base_image_ref: '',
    owner_user_name: user?.name ?? '',
    owner_project_name: s.projects.get(server.projectId)?.name ?? '',
    boot_roles: ctx.token!.roles.join(','),
    ...req.metadata,
    ...(img.props.instance_owner ? { instance_owner: img.props.instance_owner } : {}),
    root_device_name: '/dev/sda',
    block_device_mapping: pyJson(rows),
    bdm_v2: 'True',
  };
  // Nova uploads zero bytes: Glance hashes the empty string and keeps a 0-byte file (stores "fs")
  img.diskFormat = 'qcow2';
  img.containerFormat = 'bare';
  img.filePath = s.imagePath(img.id);
  writeFileSync(img.filePath, '');
  img.size = 0;
  img.virtualSize = null;
  Object.assign(img, s.digestsOf(''));
  img.status = 'active';
  return img;
}
