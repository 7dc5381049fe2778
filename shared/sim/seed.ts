// The `state` of a SimHandle: direct access for tests to seed and inspect the simulated clouds.
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hexId, uuid } from './http-util';
import type { AppCred, Image, Server, Volume } from './model';
import { volumeImageMeta } from './shared-ops';
import type { FailNext, Latency, Quotas, SimState } from './state';

export class SimSeed {
  constructor(readonly raw: SimState) {}

  get servers(): Map<string, Server> {
    return this.raw.servers;
  }
  get images(): Map<string, Image> {
    return this.raw.images;
  }
  get volumes(): Map<string, Volume> {
    return this.raw.volumes;
  }
  get snapshots() {
    return this.raw.snapshots;
  }
  get quotas(): Quotas {
    return this.raw.quotas;
  }
  /** Asynchronous failures of the next volume creations / uploads (the API call itself succeeds). */
  get failNext(): FailNext {
    return this.raw.failNext;
  }
  get latency(): Latency {
    return this.raw.latency;
  }
  get keypairs(): Set<string> {
    return this.raw.keypairs;
  }
  get baseImageId(): string {
    return this.raw.baseImageId;
  }
  /** Glance's `hashing_algorithm`: the os_hash_algo of image data stored from now on. */
  get hashingAlgorithm(): string {
    return this.raw.hashingAlgorithm;
  }
  set hashingAlgorithm(alg: string) {
    this.raw.hashingAlgorithm = alg;
  }

  projectId(name: string): string {
    const p = this.raw.projectByName(name);
    if (!p) throw new Error(`unknown project ${name}`);
    return p.id;
  }
  userId(name: string): string {
    const u = this.raw.userByName(name);
    if (!u) throw new Error(`unknown user ${name}`);
    return u.id;
  }

  /**
   * A new project and a user who is member (and reader) there: `user` is created with
   * `password` unless it exists, in which case it only gains the roles on the new project.
   */
  addProject(name: string, o: { user?: string; password?: string; roles?: string[] } = {}): { id: string; user: string } {
    if (this.raw.projectByName(name)) throw new Error(`project ${name} exists`);
    const project = this.raw.addProject(name);
    const userName = o.user ?? `${name}-user`;
    const roles = o.roles ?? ['member', 'reader'];
    const existing = this.raw.userByName(userName);
    if (existing) existing.roles.set(project.id, roles);
    else this.raw.addUser(userName, o.password ?? 'demo-secret', [[project.id, roles]]);
    return { id: project.id, user: userName };
  }

  /** `count` ACTIVE servers named `<prefix>-0001`…, in creation order (a nightly policy's fleet). */
  addServers(count: number, o: { prefix: string; project?: string; user?: string; metadata?: Record<string, string> }): Server[] {
    const width = Math.max(4, String(count).length);
    const out: Server[] = [];
    for (let i = 1; i <= count; i++) {
      out.push(
        this.addServer({
          name: `${o.prefix}-${String(i).padStart(width, '0')}`,
          project: o.project,
          user: o.user,
          metadata: { ...o.metadata },
        }),
      );
    }
    return out;
  }

  /** A volume's bytes (the lab's file-backed volume under /var/lib/cinder/oslab-volumes). */
  volumeData(id: string): Buffer {
    return readFileSync(this.raw.volumePath(id));
  }

  /** Overwrites a volume's bytes, as a guest writing its disk would. */
  writeVolume(id: string, data: Buffer): void {
    if (!this.raw.volumes.has(id)) throw new Error(`unknown volume ${id}`);
    writeFileSync(this.raw.volumePath(id), data);
  }

  /** Every issued token becomes expired: the next call to any service gets its 401. */
  expireTokens(): void {
    this.raw.expireTokens();
  }

  /** An application credential for user on project (roles: the user's roles there). */
  addAppCred(o: { user: string; project: string; name?: string; secret?: string }): { id: string; name: string; secret: string } {
    const userId = this.userId(o.user);
    const projectId = this.projectId(o.project);
    const ac: AppCred = {
      id: hexId(),
      name: o.name ?? `sim-${hexId().slice(0, 6)}`,
      secret: o.secret ?? randomBytes(32).toString('base64url'),
      userId,
      projectId,
      roles: this.raw.users.get(userId)!.roles.get(projectId) ?? [],
      description: null,
      expiresAt: null,
      unrestricted: false,
    };
    this.raw.appCreds.set(ac.id, ac);
    return { id: ac.id, name: ac.name, secret: ac.secret };
  }

  /** An image owned by project (default admin); with data it is active. */
  addImage(
    o: {
      name: string;
      project?: string;
      visibility?: Image['visibility'];
      props?: Record<string, unknown>;
      diskFormat?: string;
      containerFormat?: string;
      createdAt?: number;
    },
    data?: Buffer,
  ): Image {
    return this.raw.addImage(
      {
        name: o.name,
        owner: this.projectId(o.project ?? 'admin'),
        visibility: o.visibility ?? 'private',
        props: o.props ?? {},
        diskFormat: o.diskFormat ?? 'raw',
        containerFormat: o.containerFormat ?? 'bare',
        ...(o.createdAt ? { createdAt: o.createdAt, updatedAt: o.createdAt } : {}),
      },
      data,
    );
  }

  /** A server already ACTIVE (or SHUTOFF), booted from an image or (volumeBacked) from a volume. */
  addServer(o: {
    name: string;
    project?: string;
    user?: string;
    imageId?: string;
    flavorId?: string;
    status?: 'ACTIVE' | 'SHUTOFF' | 'ERROR';
    metadata?: Record<string, string>;
    volumeBacked?: boolean;
    created?: number;
  }): Server {
    const now = o.created ?? Date.now();
    const projectId = this.projectId(o.project ?? 'admin');
    const userId = this.userId(o.user ?? 'admin');
    const imageId = o.imageId ?? this.raw.baseImageId;
    const server: Server = {
      id: uuid(),
      seq: this.raw.nextSeq(),
      name: o.name,
      projectId,
      userId,
      imageId: o.volumeBacked ? null : imageId,
      flavorId: o.flavorId ?? '42',
      metadata: o.metadata ?? {},
      keyName: null,
      vmState: o.status === 'SHUTOFF' ? 'stopped' : o.status === 'ERROR' ? 'error' : 'active',
      taskState: null,
      powerState: o.status === 'SHUTOFF' ? 4 : 1,
      created: now,
      updated: now,
      launchedAt: now,
      reservationId: `r-${hexId().slice(0, 8)}`,
      instanceName: `instance-${hexId().slice(0, 8)}`,
      bdms: [],
      description: null,
    };
    if (o.volumeBacked) {
      const img = this.raw.images.get(imageId);
      const v: Volume = {
        id: uuid(),
        name: '',
        projectId,
        userId,
        size: 1,
        status: 'in-use',
        bootable: true,
        createdAt: now,
        updatedAt: now,
        snapshotId: null,
        sourceVolid: null,
        description: null,
        metadata: {},
        imageMeta: img ? volumeImageMeta(img) : null,
        attachments: [{ id: uuid(), serverId: server.id, device: '/dev/sda', attachedAt: now }],
      };
      this.raw.volumes.set(v.id, v);
      if (img?.filePath) copyFileSync(img.filePath, this.raw.volumePath(v.id));
      else writeFileSync(this.raw.volumePath(v.id), '');
      server.bdms.push({ volumeId: v.id, bootIndex: 0, deleteOnTermination: false, device: '/dev/sda' });
    }
    this.raw.servers.set(server.id, server);
    return server;
  }
}
