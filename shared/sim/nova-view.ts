import { createHash } from 'node:crypto';
import { isoMicros, isoSeconds } from './http-util';
import type { Flavor, Server } from './model';
import type { Ctx } from './router';
import { mvAtLeast } from './router';

/** nova/api/openstack/common.py _STATE_MAP, for the states the simulator uses */
export function serverStatus(s: Server): string {
  if (s.vmState === 'building') return 'BUILD';
  if (s.vmState === 'error') return 'ERROR';
  if (s.vmState === 'deleted') return 'DELETED';
  if (s.taskState === 'rebuilding' || s.taskState === 'rebuild_spawning' || s.taskState === 'rebuild_block_device_mapping') return 'REBUILD';
  if (s.vmState === 'stopped') return 'SHUTOFF';
  return 'ACTIVE';
}
export const VALID_STATUSES = new Set([
  'ACTIVE',
  'BUILD',
  'DELETED',
  'ERROR',
  'HARD_REBOOT',
  'MIGRATING',
  'PASSWORD',
  'PAUSED',
  'REBOOT',
  'REBUILD',
  'RESCUE',
  'RESIZE',
  'REVERT_RESIZE',
  'SHELVED',
  'SHELVED_OFFLOADED',
  'SHUTOFF',
  'SOFT_DELETED',
  'SUSPENDED',
  'UNKNOWN',
  'VERIFY_RESIZE',
]);

export const serverLinks = (ctx: Ctx, id: string) => [
  { rel: 'self', href: `${ctx.base}/v2.1/servers/${id}` },
  { rel: 'bookmark', href: `${ctx.base}/servers/${id}` },
];

export function flavorBrief(ctx: Ctx, f: Flavor): unknown {
  return {
    id: f.id,
    name: f.name,
    links: [
      { rel: 'self', href: `${ctx.base}/v2.1/flavors/${f.id}` },
      { rel: 'bookmark', href: `${ctx.base}/flavors/${f.id}` },
    ],
  };
}

export function flavorDetail(ctx: Ctx, f: Flavor): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    swap: 0,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': true,
    rxtx_factor: 1.0,
    links: (flavorBrief(ctx, f) as { links: unknown }).links,
  };
  if (mvAtLeast(ctx, '2.55')) out.description = null;
  if (mvAtLeast(ctx, '2.61')) out.extra_specs = {};
  return out;
}

/** The GET /servers/{id} body, gated by microversion like the lab's (2.1 and 2.79 compared). */
export function serverView(ctx: Ctx, s: Server, as: 'show' | 'list' | 'rebuild' = 'show'): Record<string, unknown> {
  const flavor = ctx.state.flavors.get(s.flavorId)!;
  const active = s.launchedAt !== null;
  const hostId = active ? createHash('sha224').update(`${s.projectId}oslab-compute`).digest('hex') : '';
  const v: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status: serverStatus(s),
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: s.metadata,
    hostId,
    image: s.imageId ? { id: s.imageId, links: [{ rel: 'bookmark', href: `${ctx.base}/images/${s.imageId}` }] } : '',
    flavor: mvAtLeast(ctx, '2.47')
      ? { vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: 0, swap: 0, original_name: flavor.name, extra_specs: {} }
      : { id: flavor.id, links: [{ rel: 'bookmark', href: `${ctx.base}/flavors/${flavor.id}` }] },
    created: isoSeconds(s.created),
    updated: isoSeconds(s.updated),
    addresses: {},
    accessIPv4: '',
    accessIPv6: '',
    links: serverLinks(ctx, s.id),
    'OS-DCF:diskConfig': 'MANUAL',
    progress: 0,
    'OS-EXT-AZ:availability_zone': active ? 'nova' : '',
    config_drive: '',
    key_name: s.keyName,
    'OS-SRV-USG:launched_at': s.launchedAt === null ? null : isoMicros(s.launchedAt),
    'OS-SRV-USG:terminated_at': null,
    'OS-EXT-SRV-ATTR:host': active ? 'oslab-compute' : null,
    'OS-EXT-SRV-ATTR:instance_name': active ? s.instanceName : '',
    'OS-EXT-SRV-ATTR:hypervisor_hostname': active ? 'oslab-compute' : null,
  };
  if (mvAtLeast(ctx, '2.3')) {
    Object.assign(v, {
      'OS-EXT-SRV-ATTR:reservation_id': s.reservationId,
      'OS-EXT-SRV-ATTR:launch_index': 0,
      'OS-EXT-SRV-ATTR:hostname': s.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-'),
      'OS-EXT-SRV-ATTR:kernel_id': '',
      'OS-EXT-SRV-ATTR:ramdisk_id': '',
      'OS-EXT-SRV-ATTR:root_device_name': active ? '/dev/sda' : null,
    });
    // the rebuild response carries a top-level user_data instead (lab)
    if (as !== 'rebuild') v['OS-EXT-SRV-ATTR:user_data'] = null;
  }
  Object.assign(v, {
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:vm_state': s.vmState,
    'OS-EXT-STS:power_state': s.powerState,
    'os-extended-volumes:volumes_attached': s.bdms.map((b) =>
      mvAtLeast(ctx, '2.3') ? { id: b.volumeId, delete_on_termination: b.deleteOnTermination } : { id: b.volumeId },
    ),
  });
  if (s.vmState === 'error' && s.fault) v.fault = { code: s.fault.code, created: isoSeconds(s.fault.created), message: s.fault.message };
  if (mvAtLeast(ctx, '2.16')) v.host_status = active ? 'UP' : '';
  if (mvAtLeast(ctx, '2.9')) v.locked = false;
  if (mvAtLeast(ctx, '2.73')) v.locked_reason = null;
  if (mvAtLeast(ctx, '2.19')) v.description = s.description;
  if (mvAtLeast(ctx, '2.26')) v.tags = [];
  if (mvAtLeast(ctx, '2.63')) v.trusted_image_certificates = null;
  // only show and rebuild carry server_groups, list/detail does not (lab)
  if (mvAtLeast(ctx, '2.71') && as !== 'list') v.server_groups = [];
  return v;
}
