import type { z } from 'zod';
import {
  createdServerSchema,
  createImageSchema,
  flavorEnvelope,
  flavorListSchema,
  keypairEnvelope,
  type Server,
  serverEnvelope,
  serverListSchema,
  versionDocSchema,
} from './compute-schemas';
import { BadRequestError, ConflictError, InvalidResponseError, NotFoundError } from './errors';
import { atLeast, compareMicroversions } from './microversion';
import { exactNameFilter } from './nova-name';
import type { CallOptions, ServiceClient } from './service-client';

/** The default when the cloud offers it: stable fields, image_id in createImage, networks none/auto. */
export const PREFERRED_MICROVERSION = '2.79';
/** `networks: "none" | "auto"` in server create. */
export const NETWORKS_KEYWORD_MICROVERSION = '2.37';
/** Rebuild of a volume-backed server with another image (re-images the root volume). */
export const VOLUME_REBUILD_MICROVERSION = '2.93';

export interface MicroversionInfo {
  /** What this client sends by default. */
  current: string;
  max: string;
  min: string;
}

export interface ListServersOptions {
  filters?: Record<string, string | number | boolean | undefined>;
  pageSize?: number;
  /** Bounds the walk over `servers_links` (every loop has a deadline). */
  maxPages?: number;
}

/** 'none', 'auto', a network uuid, or Nova's own list of {uuid|port|fixed_ip}. */
export type NetworkSpec = 'none' | 'auto' | (string & {}) | Array<{ uuid?: string; port?: string; fixed_ip?: string }>;

export interface CreateServerSpec {
  name: string;
  /** Flavor id or name. */
  flavor: string;
  /** Image id; omit for boot-from-volume with block_device_mapping_v2. */
  imageRef?: string;
  keyName?: string;
  networks: NetworkSpec;
  metadata?: Record<string, string>;
  blockDeviceMappingV2?: Array<Record<string, unknown>>;
  availabilityZone?: string;
  userData?: string;
}

export interface RebuildSpec {
  imageRef: string;
  name?: string;
  metadata?: Record<string, string>;
  /** e.g. '2.93' for a volume-backed server; see VOLUME_REBUILD_MICROVERSION. */
  microversion?: string;
}

export interface ComputeOptions {
  /** Pin the microversion (clouds.yaml compute_api_version); otherwise negotiated. */
  microversion?: string;
  /** Shared between clients: steps make a client each, and the version document rarely changes. */
  versionCache?: MicroversionCache;
}

/** Negotiated microversions by compute endpoint (and pin), kept for VERSION_TTL_MS. */
export type MicroversionCache = Map<string, { expiresAt: number; info: MicroversionInfo }>;
const VERSION_TTL_MS = 10 * 60_000;

export class Compute {
  private versions?: Promise<MicroversionInfo>;

  constructor(
    private readonly svc: ServiceClient,
    private readonly opts: ComputeOptions = {},
  ) {}

  /** Negotiated from GET /v2.1/ once per client; callers compare `max` to fail early. */
  microversions(): Promise<MicroversionInfo> {
    this.versions ??= this.negotiate().catch((err: unknown) => {
      this.versions = undefined;
      throw err;
    });
    return this.versions;
  }

  async supports(microversion: string): Promise<boolean> {
    return atLeast((await this.microversions()).max, microversion);
  }

  async getServer(id: string): Promise<Server> {
    return (await this.call(serverEnvelope, 'GET', `/servers/${enc(id)}`)).server;
  }

  async *listServers(opts: ListServersOptions = {}): AsyncGenerator<Server> {
    const maxPages = opts.maxPages ?? 100;
    let target: string | undefined = '/servers/detail';
    let query: CallOptions['query'] = { ...opts.filters, limit: opts.pageSize };
    for (let page = 0; target && page < maxPages; page++) {
      const doc: z.infer<typeof serverListSchema> = await this.call(serverListSchema, 'GET', target, { query });
      yield* doc.servers;
      const next = doc.servers_links?.find((l) => l.rel === 'next')?.href;
      target = next && doc.servers.length > 0 ? await this.svc.rebase(next) : undefined;
      query = undefined;
    }
  }

  async listAllServers(opts: ListServersOptions = {}): Promise<Server[]> {
    const out: Server[] = [];
    for await (const s of this.listServers(opts)) out.push(s);
    return out;
  }

  /** Exactly one server with this name, undefined when none; several is a ConflictError. */
  async findServerByName(name: string, filters: ListServersOptions['filters'] = {}): Promise<Server | undefined> {
    const candidates = await this.listAllServers({ filters: { ...filters, name: exactNameFilter(name) } });
    const exact = candidates.filter((s) => s.name === name);
    if (exact.length > 1) {
      throw new ConflictError(
        { service: 'compute', method: 'GET', path: '/servers/detail' },
        `${exact.length} servers are named ${JSON.stringify(name)}: ${exact.map((s) => s.id).join(', ')}`,
      );
    }
    return exact[0];
  }

  /** Server by id, or by exact name when no server has that id. */
  async resolveServer(idOrName: string): Promise<Server> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName)) {
      try {
        return await this.getServer(idOrName);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const found = await this.findServerByName(idOrName);
    if (!found)
      throw new NotFoundError({ service: 'compute', method: 'GET', path: '/servers/detail' }, `no server named or with id ${JSON.stringify(idOrName)}`);
    return found;
  }

  /** Returns the new image id (body `image_id` at >= 2.45, Location header before). */
  async createImage(serverId: string, name: string, metadata: Record<string, string> = {}): Promise<string> {
    const res = await this.action(serverId, { createImage: { name, metadata } });
    return this.imageIdFrom(res.text, res.headers.get('location'), serverId);
  }

  /** Returns the backup image id when Nova reports one (>= 2.45). */
  async createBackup(
    serverId: string,
    spec: { name: string; backupType: string; rotation: number; metadata?: Record<string, string> },
  ): Promise<string | undefined> {
    const res = await this.action(serverId, {
      createBackup: { name: spec.name, backup_type: spec.backupType, rotation: spec.rotation, metadata: spec.metadata ?? {} },
    });
    if (!res.text && !res.headers.get('location')) return undefined;
    return this.imageIdFrom(res.text, res.headers.get('location'), serverId);
  }

  async rebuild(serverId: string, spec: RebuildSpec): Promise<Server> {
    if (spec.microversion) await this.requireMicroversion(spec.microversion, 'rebuild');
    const body = {
      rebuild: {
        imageRef: spec.imageRef,
        ...(spec.name ? { name: spec.name } : {}),
        ...(spec.metadata ? { metadata: spec.metadata } : {}),
      },
    };
    const res = await this.action(serverId, body, spec.microversion);
    return parseServerOrThrow(res.text, serverId);
  }

  async stop(serverId: string): Promise<void> {
    await this.action(serverId, { 'os-stop': null });
  }

  async start(serverId: string): Promise<void> {
    await this.action(serverId, { 'os-start': null });
  }

  async rename(serverId: string, name: string): Promise<Server> {
    return (await this.call(serverEnvelope, 'PUT', `/servers/${enc(serverId)}`, { json: { server: { name } } })).server;
  }

  async deleteServer(serverId: string): Promise<void> {
    await this.request('DELETE', `/servers/${enc(serverId)}`);
  }

  async createServer(spec: CreateServerSpec): Promise<{ id: string }> {
    if (spec.networks === 'none' || spec.networks === 'auto')
      await this.requireMicroversion(NETWORKS_KEYWORD_MICROVERSION, `networks "${spec.networks}"`, true);
    const flavorRef = await this.resolveFlavorId(spec.flavor);
    const server: Record<string, unknown> = {
      name: spec.name,
      flavorRef,
      networks: networksBody(spec.networks),
    };
    if (spec.imageRef !== undefined) server.imageRef = spec.imageRef;
    else if (spec.blockDeviceMappingV2) server.imageRef = '';
    if (spec.keyName) server.key_name = spec.keyName;
    if (spec.metadata) server.metadata = spec.metadata;
    if (spec.blockDeviceMappingV2) server.block_device_mapping_v2 = spec.blockDeviceMappingV2;
    if (spec.availabilityZone) server.availability_zone = spec.availabilityZone;
    if (spec.userData) server.user_data = spec.userData;
    const doc = await this.call(createdServerSchema, 'POST', '/servers', { json: { server } });
    // adminPass is a secret: do not hand it around.
    return { id: doc.server.id };
  }

  /** Whether the caller's user has a key pair of this name (key pairs belong to users, not projects). */
  async hasKeypair(name: string): Promise<boolean> {
    try {
      await this.call(keypairEnvelope, 'GET', `/os-keypairs/${enc(name)}`);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** Flavor id from an id or a name (ids are tried first: names may look like ids). */
  async resolveFlavorId(flavor: string): Promise<string> {
    try {
      return (await this.call(flavorEnvelope, 'GET', `/flavors/${enc(flavor)}`)).flavor.id;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const list = await this.call(flavorListSchema, 'GET', '/flavors', { query: { is_public: 'None' } });
    const match = list.flavors.filter((f) => f.name === flavor);
    if (match.length === 1 && match[0]) return match[0].id;
    throw new NotFoundError(
      { service: 'compute', method: 'GET', path: '/flavors' },
      match.length ? `several flavors are named ${JSON.stringify(flavor)}` : `no flavor with id or name ${JSON.stringify(flavor)}`,
    );
  }

  /** Fails before any mutating call when the cloud (or the pinned version) cannot do it. */
  private async requireMicroversion(v: string, what: string, atCurrent = false): Promise<void> {
    const info = await this.microversions();
    const have = atCurrent ? info.current : info.max;
    if (!atLeast(have, v)) {
      const offer = atCurrent ? `this client uses ${have}` : `this cloud offers up to ${have}`;
      throw new BadRequestError({ service: 'compute', method: 'POST', path: '/servers' }, `${what} needs compute microversion ${v}; ${offer}`);
    }
  }

  private async action(serverId: string, body: unknown, microversion?: string) {
    return this.request('POST', `/servers/${enc(serverId)}/action`, { json: body }, microversion);
  }

  private imageIdFrom(text: string, location: string | null, serverId: string): string {
    if (text) {
      const parsed = createImageSchema.safeParse(safeJson(text));
      if (parsed.success) return parsed.data.image_id;
    }
    const fromLocation = location?.split('/').filter(Boolean).pop();
    if (fromLocation) return fromLocation;
    throw new InvalidResponseError(
      { service: 'compute', method: 'POST', path: `/servers/${serverId}/action` },
      'no image_id in the body and no Location header',
    );
  }

  private async request(method: string, path: string, opts: CallOptions = {}, microversion?: string) {
    const v = microversion ?? (await this.microversions()).current;
    const headers = { ...opts.headers, 'OpenStack-API-Version': `compute ${v}`, 'X-OpenStack-Nova-API-Version': v };
    return this.svc.request(method, path, { ...opts, headers });
  }

  private async call<S extends z.ZodType>(schema: S, method: string, path: string, opts: CallOptions = {}): Promise<z.infer<S>> {
    const v = (await this.microversions()).current;
    const headers = { ...opts.headers, 'OpenStack-API-Version': `compute ${v}`, 'X-OpenStack-Nova-API-Version': v };
    return this.svc.json(schema, method, path, { ...opts, headers });
  }

  private async negotiate(): Promise<MicroversionInfo> {
    // The version document lives at the versioned root, without a project id suffix.
    const endpoint = await this.svc.endpoint();
    const key = `${endpoint}|${this.opts.microversion ?? ''}`;
    const hit = this.opts.versionCache?.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.info;
    const root = endpoint.replace(/\/(v2(\.1)?)\/[0-9a-f]{32}$/i, '/$1');
    const doc = await this.svc.json(versionDocSchema, 'GET', `${root}/`);
    const max = doc.version.version || '2.1';
    const min = doc.version.min_version || '2.1';
    // Older clouds get their max: createImage then answers with a Location header instead of a body.
    let current = this.opts.microversion ?? (atLeast(max, PREFERRED_MICROVERSION) ? PREFERRED_MICROVERSION : max);
    if (compareMicroversions(current, max) > 0) current = max;
    const info = { current, max, min };
    this.opts.versionCache?.set(key, { expiresAt: Date.now() + VERSION_TTL_MS, info });
    return info;
  }
}

function networksBody(n: NetworkSpec): unknown {
  if (n === 'none' || n === 'auto') return n;
  if (Array.isArray(n)) return n;
  return [{ uuid: n }];
}

function parseServerOrThrow(text: string, serverId: string): Server {
  const parsed = serverEnvelope.safeParse(safeJson(text));
  if (parsed.success) return parsed.data.server;
  throw new InvalidResponseError({ service: 'compute', method: 'POST', path: `/servers/${serverId}/action` }, 'rebuild answer has no server');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
