import { z } from 'zod';
import { hexId, uuid } from './http-util';
import type { Bdm, Server } from './model';
import { createBodyError } from './nova-create-body';
import { flavorBrief, flavorDetail, serverLinks, serverStatus, serverView, VALID_STATUSES } from './nova-view';
import { novaInvalidInput } from './py-repr';
import type { Ctx, Route } from './router';
import { empty, fail, json, mvAtLeast, route } from './router';
import { createVolumeRecord, detachAndMaybeDelete, imageVisible } from './shared-ops';

const Bdm2 = z.object({
  source_type: z.enum(['volume', 'image', 'snapshot', 'blank']),
  destination_type: z.enum(['volume', 'local']).optional(),
  uuid: z.string().optional(),
  boot_index: z.union([z.number(), z.string()]).nullable().optional(),
  volume_size: z.number().optional(),
  delete_on_termination: z.boolean().optional(),
});
const CreateBody = z.object({
  server: z.object({
    name: z.string().min(1).max(255),
    imageRef: z.string().optional(),
    flavorRef: z.union([z.string(), z.number()]),
    networks: z.union([z.literal('none'), z.literal('auto'), z.array(z.looseObject({ uuid: z.string().optional() }))]).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    key_name: z.string().optional(),
    description: z.string().nullable().optional(),
    block_device_mapping_v2: z.array(Bdm2).optional(),
  }),
});

const notFound = (ctx: Ctx, id: string) => fail(ctx, 404, `Instance ${id} could not be found.`);

/** A server visible to the caller (admin sees every project, like Nova's default policy). */
export function findServer(ctx: Ctx, id: string): Server | undefined {
  const s = ctx.state.servers.get(id);
  if (!s) return undefined;
  if (s.projectId !== ctx.token!.projectId && !ctx.token!.roles.includes('admin')) return undefined;
  return s;
}

function versionDoc(ctx: Ctx, maxMv: () => string): void {
  json(ctx, 200, {
    version: {
      id: 'v2.1',
      status: 'CURRENT',
      version: maxMv(),
      min_version: '2.1',
      updated: '2013-07-23T11:33:21Z',
      links: [
        { rel: 'self', href: `${ctx.base}/v2.1/` },
        { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
      ],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
    },
  });
}

function createServer(ctx: Ctx): void {
  const s = ctx.state;
  const schemaError = createBodyError(ctx.body, mvAtLeast(ctx, '2.37'));
  if (schemaError) return fail(ctx, 400, schemaError);
  const parsed = CreateBody.safeParse(ctx.body);
  const srv = (ctx.body as { server?: Record<string, unknown> } | undefined)?.server;
  if (!parsed.success) return fail(ctx, 400, novaInvalidInput('server', srv ?? ctx.body, parsed.error.issues[0]?.message ?? 'invalid'));
  const b = parsed.data.server;
  // servers.py finds the image (or its absence) before it looks the flavor up
  const bootBdm = b.block_device_mapping_v2?.find((d) => String(d.boot_index ?? '') === '0');
  if (!bootBdm && !b.imageRef) return fail(ctx, 400, 'Missing imageRef attribute');
  const flavor = s.flavors.get(String(b.flavorRef));
  if (!flavor) return fail(ctx, 400, `Flavor ${b.flavorRef} could not be found.`);
  if (b.key_name !== undefined && !s.keypairs.has(b.key_name)) return fail(ctx, 400, 'Invalid key_name provided.');
  const t = ctx.token!;
  if (s.quotas.instances !== null) {
    const used = [...s.servers.values()].filter((x) => x.projectId === t.projectId).length;
    if (used + 1 > s.quotas.instances) {
      return fail(ctx, 403, `Quota exceeded for instances: Requested 1, but already used ${used} of ${s.quotas.instances} instances`);
    }
  }
  const bdms: Bdm[] = [];
  let imageId: string | null = null;
  if (bootBdm) {
    if (bootBdm.source_type === 'volume') {
      const vol = s.volumes.get(bootBdm.uuid ?? '');
      if (!vol || vol.projectId !== t.projectId) return fail(ctx, 400, `Block Device Mapping is Invalid: failed to get volume ${bootBdm.uuid}.`);
      if (vol.status !== 'available')
        return fail(
          ctx,
          400,
          `Block Device Mapping is Invalid: Volume ${vol.id} status must be available or downloading to reserve, but the current status is ${vol.status}.`,
        );
      vol.status = 'reserved';
      bdms.push({ volumeId: vol.id, bootIndex: 0, deleteOnTermination: bootBdm.delete_on_termination ?? false, device: '/dev/sda' });
    } else if (bootBdm.source_type === 'image' && bootBdm.destination_type === 'volume') {
      const img = s.images.get(bootBdm.uuid ?? '');
      if (!img || !imageVisible(ctx, img)) return fail(ctx, 400, 'Can not find requested image');
      const vol = createVolumeRecord(ctx, { size: bootBdm.volume_size ?? 1, name: '', image: img, status: 'reserved' });
      bdms.push({ volumeId: vol.id, bootIndex: 0, deleteOnTermination: bootBdm.delete_on_termination ?? false, device: '/dev/sda' });
    } else if (bootBdm.source_type === 'image') {
      imageId = bootBdm.uuid ?? null;
    } else {
      return fail(ctx, 400, 'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
    }
  } else {
    imageId = b.imageRef ?? null;
  }
  if (imageId !== null) {
    const img = s.images.get(imageId);
    if (!img || !imageVisible(ctx, img)) return fail(ctx, 400, 'Can not find requested image');
    if (img.status !== 'active') return fail(ctx, 400, `Image ${img.id} is not active.`);
  }
  const now = Date.now();
  const server: Server = {
    id: uuid(),
    seq: s.nextSeq(),
    name: b.name,
    projectId: t.projectId,
    userId: t.userId,
    imageId,
    flavorId: flavor.id,
    metadata: b.metadata ?? {},
    keyName: b.key_name ?? null,
    vmState: 'building',
    taskState: 'scheduling',
    powerState: 0,
    created: now,
    updated: now,
    launchedAt: null,
    reservationId: `r-${hexId().slice(0, 8)}`,
    instanceName: `instance-${(s.servers.size + 1).toString(16).padStart(8, '0')}`,
    bdms,
    description: b.description ?? null,
  };
  s.servers.set(server.id, server);
  s.after(s.delay('build'), () => {
    if (server.vmState !== 'building') return;
    if (s.failingBuilds.has(server.name)) {
      server.vmState = 'error';
      server.taskState = null;
      server.updated = Date.now();
      server.fault = { code: 500, message: 'No valid host was found. ', created: server.updated };
      return;
    }
    server.vmState = 'active';
    server.taskState = null;
    server.powerState = 1;
    server.launchedAt = server.updated = Date.now();
    for (const d of server.bdms) {
      const v = s.volumes.get(d.volumeId);
      if (!v) continue;
      v.status = 'in-use';
      v.attachments = [{ id: uuid(), serverId: server.id, device: d.device, attachedAt: Date.now() }];
    }
  });
  json(
    ctx,
    202,
    {
      server: {
        id: server.id,
        links: serverLinks(ctx, server.id),
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: [{ name: 'default' }],
        adminPass: hexId().slice(0, 12),
      },
    },
    { location: `${ctx.base}/v2.1/servers/${server.id}` },
  );
}

function listServers(ctx: Ctx, detail: boolean): void {
  const q = ctx.url.searchParams;
  const t = ctx.token!;
  let list = [...ctx.state.servers.values()].filter((x) => x.projectId === t.projectId);
  const status = q.get('status');
  if (status !== null) {
    if (!VALID_STATUSES.has(status.toUpperCase())) return fail(ctx, 400, 'Invalid status value');
    list = list.filter((x) => serverStatus(x) === status.toUpperCase());
  }
  const name = q.get('name');
  if (name !== null) {
    // Nova filters names with Python re.search; JS RegExp covers the common syntax
    let re: RegExp | null = null;
    try {
      re = new RegExp(name);
    } catch {
      re = null;
    }
    list = list.filter((x) => (re ? re.test(x.name) : x.name.includes(name)));
  }
  list.sort((a, b) => b.created - a.created || b.seq - a.seq);
  const limitRaw = q.get('limit');
  if (limitRaw !== null && !/^[0-9]*$/.test(limitRaw)) {
    return fail(ctx, 400, `Invalid input for query parameters limit. Value: ${limitRaw}. '${limitRaw}' does not match '^[0-9]*$'`);
  }
  const marker = q.get('marker');
  if (marker !== null) {
    const i = list.findIndex((x) => x.id === marker);
    if (i < 0) return fail(ctx, 400, `marker [${marker}] not found`);
    list = list.slice(i + 1);
  }
  const limit = Math.min(limitRaw ? Number(limitRaw) : 1000, 1000);
  const page = list.slice(0, limit);
  const body: Record<string, unknown> = {
    servers: page.map((x) => (detail ? serverView(ctx, x, 'list') : { id: x.id, name: x.name, links: serverLinks(ctx, x.id) })),
  };
  const last = page[page.length - 1];
  if (last && page.length === limit) {
    const next = new URLSearchParams([...q].filter(([k]) => k !== 'marker'));
    next.append('marker', last.id);
    body.servers_links = [{ rel: 'next', href: `${ctx.base}/v2.1/servers${detail ? '/detail' : ''}?${next}` }];
  }
  json(ctx, 200, body);
}

function getServer(ctx: Ctx): void {
  const s = findServer(ctx, ctx.params.id!);
  if (!s) return notFound(ctx, ctx.params.id!);
  json(ctx, 200, { server: serverView(ctx, s) });
}

const RenameBody = z.object({ server: z.object({ name: z.string().min(1).max(255).optional(), description: z.string().nullable().optional() }) });
function renameServer(ctx: Ctx): void {
  const s = findServer(ctx, ctx.params.id!);
  if (!s) return notFound(ctx, ctx.params.id!);
  const p = RenameBody.safeParse(ctx.body);
  if (!p.success)
    return fail(ctx, 400, novaInvalidInput('server', (ctx.body as { server?: unknown })?.server ?? ctx.body, p.error.issues[0]?.message ?? 'invalid'));
  if (p.data.server.name !== undefined) s.name = p.data.server.name;
  if (p.data.server.description !== undefined) s.description = p.data.server.description;
  s.updated = Date.now();
  json(ctx, 200, { server: serverView(ctx, s) });
}

function deleteServer(ctx: Ctx): void {
  const st = ctx.state;
  const s = findServer(ctx, ctx.params.id!);
  if (!s) return notFound(ctx, ctx.params.id!);
  s.taskState = 'deleting';
  s.updated = Date.now();
  st.after(st.delay('delete'), () => {
    for (const d of s.bdms) detachAndMaybeDelete(st, d);
    st.servers.delete(s.id);
  });
  empty(ctx, 204);
}

function flavors(ctx: Ctx, detail: boolean): void {
  const list = [...ctx.state.flavors.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  json(ctx, 200, { flavors: list.map((f) => (detail ? flavorDetail(ctx, f) : flavorBrief(ctx, f))) });
}
function flavor(ctx: Ctx): void {
  const f = ctx.state.flavors.get(ctx.params.id!);
  if (!f) return fail(ctx, 404, `Flavor ${ctx.params.id} could not be found.`);
  json(ctx, 200, { flavor: flavorDetail(ctx, f) });
}

// No key material is simulated: a seeded key pair (state.keypairs) reads as an ssh-ed25519 key.
function keypair(ctx: Ctx): void {
  const name = ctx.params.name!;
  const t = ctx.token!;
  if (!ctx.state.keypairs.has(name)) return fail(ctx, 404, `Keypair ${name} not found for user ${t.userId}`);
  json(ctx, 200, {
    keypair: {
      id: 1,
      name,
      user_id: t.userId,
      type: 'ssh',
      public_key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${name} sim`,
      fingerprint: 'c0:ff:ee:00:00:00:00:00:00:00:00:00:00:00:00:00',
      created_at: new Date(0).toISOString().replace('Z', '000'),
      updated_at: null,
      deleted_at: null,
      deleted: false,
    },
  });
}

export function novaServerRoutes(maxMv = (): string => '2.93'): Route[] {
  return [
    route('GET', '/v2.1', 'nova', (c) => versionDoc(c, maxMv), { auth: false }),
    route('GET', '/v2.1/', 'nova', (c) => versionDoc(c, maxMv), { auth: false }),
    route('GET', '/v2.1/flavors', 'nova', (c) => flavors(c, false)),
    route('GET', '/v2.1/flavors/detail', 'nova', (c) => flavors(c, true)),
    route('GET', '/v2.1/flavors/{id}', 'nova', flavor),
    route('GET', '/v2.1/os-keypairs/{name}', 'nova', keypair),
    route('POST', '/v2.1/servers', 'nova', createServer),
    route('GET', '/v2.1/servers', 'nova', (c) => listServers(c, false)),
    route('GET', '/v2.1/servers/detail', 'nova', (c) => listServers(c, true)),
    route('GET', '/v2.1/servers/{id}', 'nova', getServer),
    route('PUT', '/v2.1/servers/{id}', 'nova', renameServer),
    route('DELETE', '/v2.1/servers/{id}', 'nova', deleteServer),
  ];
}
