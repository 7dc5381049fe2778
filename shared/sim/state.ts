import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexId, uuid } from './http-util';
import { type AppCred, blankImage, type Flavor, type Image, type Project, type Server, type Token, type User, type VolSnapshot, type Volume } from './model';

/** Milliseconds: fixed, or a [min, max] range drawn uniformly for each occurrence (jitter). */
export type LatencySpec = number | readonly [number, number];

export interface Latency {
  build: LatencySpec;
  snapshot: LatencySpec;
  rebuild: LatencySpec;
  stop: LatencySpec;
  start: LatencySpec;
  delete: LatencySpec;
  volume: LatencySpec;
  volumeSnapshot: LatencySpec;
  upload: LatencySpec;
  /** Added before every API request is handled (0: answered at once). */
  api: LatencySpec;
}
export const DEFAULT_LATENCY: Latency = {
  build: 50,
  snapshot: 100,
  rebuild: 100,
  stop: 50,
  start: 50,
  delete: 30,
  volume: 50,
  volumeSnapshot: 50,
  upload: 50,
  api: 0,
};

/** The mean of a latency spec (what a range averages to). */
export function meanLatency(spec: LatencySpec): number {
  return typeof spec === 'number' ? spec : (spec[0] + spec[1]) / 2;
}

/** mulberry32: a small seeded PRNG, so a run's drawn latencies can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** null = unlimited */
export interface Quotas {
  instances: number | null;
  images: number | null;
}

/**
 * Asynchronous failures the next operations of a kind meet (counts, used up one by one):
 * what an API fault cannot express, because the call itself succeeds and the work behind it
 * fails later, as a Cinder backend does.
 */
export interface FailNext {
  /** A volume being created ends in `error`. */
  volumeCreate: number;
  /** An os-volume_upload_image fails: Cinder deletes the queued/saving image, the volume gets its status back. */
  upload: number;
}

// Temp dirs of simulators not closed yet: removed when the process exits (a crashed test run).
const liveDirs = new Set<string>();
let exitHook = false;
function trackDir(dir: string): void {
  liveDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** Everything the simulator knows; tests may read and seed it directly. */
export class SimState {
  readonly dir = mkdtempSync(join(tmpdir(), 'snapflow-sim-'));
  readonly projects = new Map<string, Project>();
  readonly users = new Map<string, User>();
  readonly roleIds: Record<string, string> = { admin: hexId(), member: hexId(), reader: hexId() };
  readonly tokens = new Map<string, Token>();
  readonly appCreds = new Map<string, AppCred>();
  readonly flavors = new Map<string, Flavor>();
  readonly servers = new Map<string, Server>();
  readonly images = new Map<string, Image>();
  readonly volumes = new Map<string, Volume>();
  readonly snapshots = new Map<string, VolSnapshot>();
  readonly quotas: Quotas = { instances: null, images: null };
  readonly failNext: FailNext = { volumeCreate: 0, upload: 0 };
  /** key pair names Nova accepts as key_name (seed them; there is no os-keypairs API) */
  readonly keypairs = new Set<string>();
  /** names of servers whose build ends in ERROR ("No valid host was found.", as a full compute host) */
  readonly failingBuilds = new Set<string>();
  baseImageId = '';
  /** Glance's `hashing_algorithm` option: the multihash (os_hash_algo) of data stored from now on. */
  hashingAlgorithm = 'sha512';
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private seqNo = 0;
  nextSeq(): number {
    return ++this.seqNo;
  }

  constructor(
    public latency: Latency,
    public tokenTtlMs: number,
    private readonly random: () => number = Math.random,
  ) {
    trackDir(this.dir);
    const admin = this.addProject('admin');
    const dest = this.addProject('dest');
    this.addUser('admin', 'admin-secret', [
      [admin.id, ['admin', 'member', 'reader']],
      [dest.id, ['admin', 'member', 'reader']],
    ]);
    this.addUser('demo', 'demo-secret', [
      [admin.id, ['member', 'reader']],
      [dest.id, ['member', 'reader']],
    ]);
    this.addUser('destuser', 'demo-secret', [[dest.id, ['member', 'reader']]]);
    for (const f of [
      { id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 },
      { id: '2', name: 'm1.small', ram: 2048, disk: 20, vcpus: 1 },
      { id: '42', name: 'm1.nano', ram: 64, disk: 1, vcpus: 1 },
    ])
      this.flavors.set(f.id, f);
    // 1 MiB raw, like the lab's oslab-base
    const base = this.addImage(
      { name: 'oslab-base', visibility: 'public', owner: admin.id, diskFormat: 'raw', containerFormat: 'bare', props: { oslab: 'base' } },
      randomBytes(1 << 20),
    );
    this.baseImageId = base.id;
  }

  addProject(name: string): Project {
    const p = { id: hexId(), name, domainId: 'default' };
    this.projects.set(p.id, p);
    return p;
  }
  projectByName(name: string): Project | undefined {
    return [...this.projects.values()].find((p) => p.name === name);
  }
  addUser(name: string, password: string, roles: Array<[string, string[]]>): User {
    const u: User = { id: hexId(), name, domainId: 'default', password, roles: new Map(roles) };
    this.users.set(u.id, u);
    return u;
  }
  userByName(name: string): User | undefined {
    return [...this.users.values()].find((u) => u.name === name);
  }

  /** One occurrence of a latency: the fixed value, or a uniform draw from its range. */
  delay(kind: keyof Latency): number {
    const spec = this.latency[kind];
    if (typeof spec === 'number') return spec;
    const [min, max] = spec;
    return min + (max - min) * this.random();
  }

  /** Run fn after ms unless the simulator closed meanwhile. */
  after(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Every token (password, app credential, token) stops working: simulates expiry. */
  expireTokens(): void {
    const past = Date.now() - 1;
    for (const t of this.tokens.values()) t.expiresAt = past;
  }

  /** What Glance records for stored bytes: md5 `checksum` plus the multihash. */
  digestsOf(data: Buffer | string): Pick<Image, 'checksum' | 'hashAlgo' | 'hashValue'> {
    return {
      checksum: createHash('md5').update(data).digest('hex'),
      hashAlgo: this.hashingAlgorithm,
      hashValue: createHash(this.hashingAlgorithm).update(data).digest('hex'),
    };
  }

  imagePath(id: string): string {
    return join(this.dir, `image-${id}`);
  }

  /** A volume's bytes, a file as on the lab's file-backed Cinder (no padding to the volume size). */
  volumePath(id: string): string {
    return join(this.dir, `volume-${id}`);
  }

  snapshotPath(id: string): string {
    return join(this.dir, `snapshot-${id}`);
  }

  /** Uses up one of the `failNext` failures of a kind: true when this operation fails. */
  takeFailure(kind: keyof FailNext): boolean {
    if (this.failNext[kind] <= 0) return false;
    this.failNext[kind]--;
    return true;
  }

  /** Seed an image; with data it is stored and active, without it queued. */
  addImage(p: Partial<Image> & { owner: string }, data?: Buffer): Image {
    const now = Date.now();
    const img: Image = { ...blankImage(uuid(), this.nextSeq(), p.owner, now), ...p };
    if (data) {
      img.filePath = this.imagePath(img.id);
      writeFileSync(img.filePath, data);
      img.size = data.length;
      img.virtualSize = img.diskFormat === 'raw' ? data.length : null;
      Object.assign(img, this.digestsOf(data));
      img.status = 'active';
    }
    this.images.set(img.id, img);
    return img;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }
}
