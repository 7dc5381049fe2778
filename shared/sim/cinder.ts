import { z } from 'zod';
import { snapshotView, volumeLinks, volumeView } from './cinder-view';
import { isoMicros } from './http-util';
import type { SnapshotStatus } from './model';
import type { Ctx, Route } from './router';
import { fail, json, route } from './router';
import { createVolumeRecord, dropSnapshot, dropVolume, fillImageFromVolume, imageVisible, snapshotRecord } from './shared-ops';

const P = '/v3/{project_id}';
const DELETE_REFUSED =
  'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing ' +
  'and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated ' +
  'from snapshots after volume transfer.';

const CreateVolume = z.object({
  volume: z.object({
    size: z.union([z.number().int().positive(), z.string().regex(/^[0-9]+$/)]).optional(),
    name: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    imageRef: z.string().optional(),
    snapshot_id: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  }),
});
const CreateSnapshot = z.object({
  snapshot: z.object({
    volume_id: z.string(),
    name: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    force: z.union([z.boolean(), z.string()]).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  }),
});
const UploadImage = z.object({
  image_name: z.string(),
  disk_format: z.string().optional(),
  container_format: z.string().optional(),
  force: z.union([z.boolean(), z.string()]).optional(),
  visibility: z.enum(['public', 'private', 'shared', 'community']).optional(),
});

/** cinder.conf glance_core_properties plus what Cinder never copies back into a new image. */
const GLANCE_CORE = new Set(['checksum', 'container_format', 'disk_format', 'image_name', 'image_id', 'min_disk', 'min_ram', 'name', 'size']);
const DEFAULT_VOLUME_TYPE = {
  id: 'a0c266ba-d820-42f7-8d39-50d762e40f6f',
  name: '__DEFAULT__',
  description: 'Default Volume Type',
  is_public: true,
  extra_specs: {},
  qos_specs_id: null,
  created_at: '2026-12-07T10:26:19.000000',
  updated_at: '2026-12-07T10:26:19.000000',
  deleted_at: null,
  deleted: false,
};

const mine = (ctx: Ctx) => ctx.token!.projectId;
const vol = (ctx: Ctx) => {
  const v = ctx.state.volumes.get(ctx.params.id!);
  return v && (v.projectId === mine(ctx) || ctx.token!.roles.includes('admin')) ? v : undefined;
};
const snap = (ctx: Ctx) => {
  const s = ctx.state.snapshots.get(ctx.params.id!);
  return s && (s.projectId === mine(ctx) || ctx.token!.roles.includes('admin')) ? s : undefined;
};

function paginate<T extends { id: string; createdAt: number }>(ctx: Ctx, all: T[], what: string): { page: T[]; links?: unknown[] } | null {
  const q = ctx.url.searchParams;
  let list = all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  const marker = q.get('marker');
  if (marker) {
    const i = list.findIndex((x) => x.id === marker);
    if (i < 0) {
      fail(ctx, 404, `Marker ${marker} could not be found.`);
      return null;
    }
    list = list.slice(i + 1);
  }
  const limit = Math.min(Number(q.get('limit') ?? 1000) || 1000, 1000);
  const page = list.slice(0, limit);
  const last = page[page.length - 1];
  if (!last || page.length < limit || !q.get('limit')) return { page };
  const next = new URLSearchParams([...q].filter(([k]) => k !== 'marker'));
  next.append('marker', last.id);
  return { page, links: [{ href: `${ctx.base}/v3/${mine(ctx)}/${what}?${next}`, rel: 'next' }] };
}

/** `metadata={"k": "v"}`: every pair must be in the volume's metadata (a value that is no object matches nothing). */
function metadataFilter(raw: string | null): (m: Record<string, string>) => boolean {
  if (!raw) return () => true;
  let want: unknown;
  try {
    want = JSON.parse(raw);
  } catch {
    return () => false;
  }
  if (!want || typeof want !== 'object') return () => false;
  return (m) => Object.entries(want as Record<string, unknown>).every(([k, v]) => m[k] === String(v));
}

function listVolumes(ctx: Ctx, detail: boolean): void {
  const q = ctx.url.searchParams;
  const meta = metadataFilter(q.get('metadata'));
  const all = [...ctx.state.volumes.values()].filter(
    (v) => v.projectId === mine(ctx) && (!q.get('name') || v.name === q.get('name')) && (!q.get('status') || v.status === q.get('status')) && meta(v.metadata),
  );
  const p = paginate(ctx, all, detail ? 'volumes/detail' : 'volumes');
  if (!p) return;
  json(ctx, 200, {
    volumes: p.page.map((v) => (detail ? volumeView(ctx, v) : { id: v.id, name: v.name, links: volumeLinks(ctx, v) })),
    ...(p.links ? { volumes_links: p.links } : {}),
  });
}

function createVolume(ctx: Ctx): void {
  const p = CreateVolume.safeParse(ctx.body);
  if (!p.success) return fail(ctx, 400, `Invalid input for field/attribute volume. ${p.error.issues[0]?.message ?? ''}`);
  const b = p.data.volume;
  const s = ctx.state;
  const image = b.imageRef ? s.images.get(b.imageRef) : undefined;
  if (b.imageRef && (!image || !imageVisible(ctx, image) || image.status !== 'active')) {
    return fail(ctx, 400, 'Invalid image identifier or unable to access requested image.');
  }
  const src = b.snapshot_id ? s.snapshots.get(b.snapshot_id) : undefined;
  if (b.snapshot_id && (!src || src.projectId !== mine(ctx))) return fail(ctx, 404, `Snapshot ${b.snapshot_id} could not be found.`);
  if (src && src.status !== 'available') return fail(ctx, 400, `Invalid snapshot: Originating snapshot status must be one of 'available' values`);
  const size = b.size !== undefined ? Number(b.size) : src?.size;
  if (!size) return fail(ctx, 400, 'Invalid input received: Volume size must be specified.');
  const v = createVolumeRecord(ctx, { size, name: b.name ?? null, image, snapshotId: src?.id, description: b.description ?? null });
  v.metadata = b.metadata ?? {};
  json(ctx, 202, { volume: volumeView(ctx, v, true) });
}

function deleteVolume(ctx: Ctx): void {
  const v = vol(ctx);
  if (!v) return fail(ctx, 404, `Volume ${ctx.params.id} could not be found.`);
  const hasSnaps = [...ctx.state.snapshots.values()].some((x) => x.volumeId === v.id);
  if (!['available', 'error', 'error_deleting'].includes(v.status) || v.attachments.length || hasSnaps) {
    return fail(ctx, 400, DELETE_REFUSED);
  }
  v.status = 'deleting';
  ctx.state.after(ctx.state.delay('volume'), () => dropVolume(ctx.state, v.id));
  json(ctx, 202, undefined);
}

function volumeAction(ctx: Ctx): void {
  const s = ctx.state;
  const v = vol(ctx);
  if (!v) return fail(ctx, 404, `Volume ${ctx.params.id} could not be found.`);
  const body = (ctx.body ?? {}) as Record<string, unknown>;
  const name = Object.keys(body)[0] ?? '';
  if (name !== 'os-volume_upload_image') {
    return fail(ctx, 400, `There is no such action: ${name}. Verify the request body and Content-Type header and try again.`);
  }
  const p = UploadImage.safeParse(body[name]);
  if (!p.success) return fail(ctx, 400, `Invalid input for field/attribute os-volume_upload_image. ${p.error.issues[0]?.message ?? ''}`);
  const force = p.data.force === true || p.data.force === 'true' || p.data.force === 'True';
  if (v.status !== 'available' && !(force && v.status === 'in-use')) {
    return fail(ctx, 400, `Invalid volume: Volume ${v.id} status must be available or in-use with force, but current status is: ${v.status}.`);
  }
  // Cinder creates the image with the volume's image properties (core ones excepted), then uploads.
  const props: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v.imageMeta ?? {})) if (!GLANCE_CORE.has(k)) props[k] = val;
  const img = s.addImage({
    owner: v.projectId,
    name: p.data.image_name,
    diskFormat: p.data.disk_format ?? 'raw',
    containerFormat: p.data.container_format ?? 'bare',
    visibility: p.data.visibility ?? 'shared',
    props,
  });
  v.status = 'uploading';
  const fails = s.takeFailure('upload');
  const upload = s.delay('upload');
  s.after(upload / 2, () => {
    if (img.status === 'queued') img.status = 'saving';
  });
  const settle = (ok: boolean) => {
    if (!ok && (img.status === 'queued' || img.status === 'saving')) s.images.delete(img.id);
    else if (ok && s.images.has(img.id)) img.status = 'active';
    // volume_update_status_based_on_attachment
    if (s.volumes.has(v.id)) v.status = v.attachments.length ? 'in-use' : 'available';
  };
  s.after(upload, () => {
    if (fails || !s.images.has(img.id)) return settle(false);
    fillImageFromVolume(s, img, v).then(
      () => settle(true),
      () => settle(false),
    );
  });
  json(ctx, 202, {
    'os-volume_upload_image': {
      id: v.id,
      updated_at: isoMicros(Date.now()),
      status: 'uploading',
      display_description: v.description,
      size: v.size,
      volume_type: DEFAULT_VOLUME_TYPE,
      image_id: img.id,
      container_format: img.containerFormat,
      disk_format: img.diskFormat,
      image_name: img.name,
      protected: false,
      visibility: img.visibility,
    },
  });
}

function createSnapshot(ctx: Ctx): void {
  const s = ctx.state;
  const p = CreateSnapshot.safeParse(ctx.body);
  if (!p.success) return fail(ctx, 400, `Invalid input for field/attribute snapshot. ${p.error.issues[0]?.message ?? ''}`);
  const b = p.data.snapshot;
  const v = s.volumes.get(b.volume_id);
  if (!v || v.projectId !== mine(ctx)) return fail(ctx, 404, `Volume ${b.volume_id} could not be found.`);
  const force = b.force === true || b.force === 'true' || b.force === 'True';
  if (v.status !== 'available' && !(force && v.status === 'in-use')) {
    return fail(ctx, 400, `Invalid volume: Volume ${v.id} status must be available, but current status is: ${v.status}.`);
  }
  const sn = snapshotRecord(s, v, { name: b.name ?? null, description: b.description ?? null, userId: ctx.token!.userId, metadata: b.metadata });
  json(ctx, 202, { snapshot: snapshotView(ctx, sn, false) });
}

function deleteSnapshot(ctx: Ctx): void {
  const sn = snap(ctx);
  if (!sn) return fail(ctx, 404, `Snapshot ${ctx.params.id} could not be found.`);
  if (!(['available', 'error', 'error_deleting'] as SnapshotStatus[]).includes(sn.status)) {
    return fail(ctx, 400, 'Invalid snapshot: Volume Snapshot status must be available or error and must not be part of a group.');
  }
  sn.status = 'deleting';
  ctx.state.after(ctx.state.delay('volumeSnapshot'), () => dropSnapshot(ctx.state, sn.id));
  json(ctx, 202, undefined);
}

function listSnapshots(ctx: Ctx, detail: boolean): void {
  const q = ctx.url.searchParams;
  const all = [...ctx.state.snapshots.values()].filter(
    (s) => s.projectId === mine(ctx) && (!q.get('volume_id') || s.volumeId === q.get('volume_id')) && (!q.get('status') || s.status === q.get('status')),
  );
  const p = paginate(ctx, all, detail ? 'snapshots/detail' : 'snapshots');
  if (!p) return;
  json(ctx, 200, { snapshots: p.page.map((s) => snapshotView(ctx, s, detail)), ...(p.links ? { snapshots_links: p.links } : {}) });
}

export function cinderRoutes(): Route[] {
  return [
    route('GET', `${P}/volumes`, 'cinder', (c) => listVolumes(c, false)),
    route('GET', `${P}/volumes/detail`, 'cinder', (c) => listVolumes(c, true)),
    route('POST', `${P}/volumes`, 'cinder', createVolume),
    route('GET', `${P}/volumes/{id}`, 'cinder', (c) => {
      const v = vol(c);
      if (!v) return fail(c, 404, `Volume ${c.params.id} could not be found.`);
      json(c, 200, { volume: volumeView(c, v) });
    }),
    route('DELETE', `${P}/volumes/{id}`, 'cinder', deleteVolume),
    route('POST', `${P}/volumes/{id}/action`, 'cinder', volumeAction, { action: true }),
    route('GET', `${P}/snapshots`, 'cinder', (c) => listSnapshots(c, false)),
    route('GET', `${P}/snapshots/detail`, 'cinder', (c) => listSnapshots(c, true)),
    route('POST', `${P}/snapshots`, 'cinder', createSnapshot),
    route('GET', `${P}/snapshots/{id}`, 'cinder', (c) => {
      const s = snap(c);
      if (!s) return fail(c, 404, `Snapshot ${c.params.id} could not be found.`);
      json(c, 200, { snapshot: snapshotView(c, s, true) });
    }),
    route('DELETE', `${P}/snapshots/{id}`, 'cinder', deleteSnapshot),
  ];
}
