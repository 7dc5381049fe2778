import { isoMicros } from './http-util';
import type { VolSnapshot, Volume } from './model';
import type { Ctx } from './router';
import { mvAtLeast } from './router';

const t = (ms: number | null) => (ms === null ? null : isoMicros(ms));

export function volumeLinks(ctx: Ctx, v: Volume): unknown[] {
  return [
    { rel: 'self', href: `${ctx.base}/v3/${v.projectId}/volumes/${v.id}` },
    { rel: 'bookmark', href: `${ctx.base}/${v.projectId}/volumes/${v.id}` },
  ];
}

/** Detail view as the lab's Cinder 21 returns it (compared at 3.0 and 3.60). */
export function volumeView(ctx: Ctx, v: Volume, forCreate = false): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: v.id,
    status: v.status,
    size: v.size,
    availability_zone: 'nova',
    created_at: t(v.createdAt),
    updated_at: t(v.updatedAt),
    name: v.name,
    description: v.description,
    volume_type: '__DEFAULT__',
    snapshot_id: v.snapshotId,
    source_volid: v.sourceVolid,
    metadata: v.metadata,
    links: volumeLinks(ctx, v),
    user_id: v.userId,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: false,
    replication_status: null,
    consistencygroup_id: null,
    multiattach: false,
    attachments: v.attachments.map((a) => ({
      id: v.id,
      attachment_id: a.id,
      volume_id: v.id,
      server_id: a.serverId,
      host_name: null,
      device: a.device,
      attached_at: isoMicros(a.attachedAt),
    })),
    migration_status: null,
  };
  if (mvAtLeast(ctx, '3.13')) out.group_id = null;
  if (mvAtLeast(ctx, '3.21')) out.provider_id = null;
  if (mvAtLeast(ctx, '3.48')) {
    out.shared_targets = !!forCreate;
    out.service_uuid = v.status === 'creating' ? null : 'd7c49442-740c-40b7-82cd-95755fdf0ce2';
  }
  if (forCreate) return out;
  if (ctx.token!.roles.includes('admin')) {
    Object.assign(out, {
      'os-vol-tenant-attr:tenant_id': v.projectId,
      'os-vol-mig-status-attr:migstat': null,
      'os-vol-mig-status-attr:name_id': null,
      'os-vol-host-attr:host': 'oslab-cinder@oslab#oslab',
    });
  }
  if (v.imageMeta && v.status !== 'creating') out.volume_image_metadata = v.imageMeta;
  return out;
}

export function snapshotView(ctx: Ctx, s: VolSnapshot, extended: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: s.id,
    created_at: t(s.createdAt),
    updated_at: t(s.updatedAt),
    name: s.name,
    description: s.description,
    volume_id: s.volumeId,
    status: s.status,
    size: s.size,
    metadata: s.metadata,
  };
  if (!extended) return out;
  if (mvAtLeast(ctx, '3.14')) out.group_snapshot_id = null;
  if (mvAtLeast(ctx, '3.41')) out.user_id = s.userId;
  out['os-extended-snapshot-attributes:project_id'] = s.projectId;
  out['os-extended-snapshot-attributes:progress'] = s.status === 'available' ? '100%' : '0%';
  return out;
}
