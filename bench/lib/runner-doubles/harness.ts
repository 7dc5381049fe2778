import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CloudClients } from '../../../runner/clouds';
import { buildRunnerConfig, type RunnerConfig } from '../../../runner/config';
import { createRunnerLogger } from '../../../runner/logger';
import type { TaskDeps } from '../../../runner/run-task';
import { Scratch } from '../../../runner/scratch';
import { RunnerServiceClient } from '../../../runner/service-client';
import { type FreeBytes, SpaceLedger } from '../../../runner/space';
import { createUndiciTransport } from '../../../shared/node/undici-transport';
import { createOpenStackClient, type OpenStackClient } from '../../../shared/openstack/client';
import { loadCloudConfig } from '../../../shared/openstack/clouds-node';
import type { Task } from '../../../shared/runner/protocol';
import { type SimHandle, startSimulator } from '../../../shared/sim/server';
import type { ServiceDouble } from './service-double';

// The pieces the runner tests share: the simulator with a clouds.yaml for it (`sim` is the
// source project, `sim-dest` the target), images uploaded into it, tasks that point at them,
// and the runner's dependencies wired as main.ts wires them, logging into memory.

export const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** Bytes qemu-img's double takes for qcow2 (the magic, then noise). */
export function fakeQcow2(size: number): Buffer {
  return Buffer.concat([QCOW2_MAGIC, randomBytes(size - QCOW2_MAGIC.length)]);
}

export interface SimEnv {
  sim: SimHandle;
  dir: string;
  cloudsFile: string;
  /** admin in project admin (the source) and admin in project dest (the target) */
  source: OpenStackClient;
  target: OpenStackClient;
  close(): Promise<void>;
}

export async function startSimEnv(): Promise<SimEnv> {
  const sim = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-runner-test-'));
  const cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(cloudsFile, sim.cloudsYaml());
  const transport = createUndiciTransport();
  const env = { OS_CLIENT_CONFIG_FILE: cloudsFile };
  const source = createOpenStackClient(loadCloudConfig('sim', { env }), { transport });
  const target = createOpenStackClient(loadCloudConfig('sim-dest', { env }), { transport });
  return {
    sim,
    dir,
    cloudsFile,
    source,
    target,
    async close() {
      await transport.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function uploadImage(os: OpenStackClient, bytes: Buffer, diskFormat = 'qcow2') {
  const img = await os.image.create({ name: `src-${randomUUID().slice(0, 8)}`, disk_format: diskFormat, container_format: 'bare' });
  await os.image.upload(img.id, { bytes });
  return os.image.get(img.id);
}

export function taskFor(
  image: {
    id: string;
    size?: number | null;
    os_hash_algo?: string | null;
    os_hash_value?: string | null;
    checksum?: string | null;
    disk_format?: string | null;
  },
  over: {
    clean?: Partial<Task['clean']>;
    target?: Partial<Task['target']>;
    ttlSeconds?: number;
    id?: string;
    jobId?: string;
    attempt?: number;
  } = {},
): Task {
  const ttl = over.ttlSeconds ?? 60;
  return {
    id: over.id ?? `task-${randomUUID()}`,
    jobId: over.jobId ?? `job-${randomUUID()}`,
    attempt: over.attempt ?? 1,
    lease: { token: `lease-${randomUUID()}`, expiresAt: new Date(Date.now() + ttl * 1000).toISOString(), ttlSeconds: ttl },
    source: {
      cloud: 'sim',
      imageId: image.id,
      size: image.size ?? 0,
      diskFormat: (image.disk_format ?? 'qcow2') as Task['source']['diskFormat'],
      hashAlgo: (image.os_hash_algo ?? null) as Task['source']['hashAlgo'],
      hashValue: image.os_hash_value ?? null,
      checksum: image.checksum ?? null,
      virtualSize: null,
      serverId: 'server-1',
    },
    clean: { mode: 'full', deletePaths: ['/etc/krb5.keytab'], hostname: null, slc6: false, os: 'LINUX', ...over.clean },
    target: {
      cloud: 'sim-dest',
      name: 'cleaned',
      diskFormat: (image.disk_format ?? 'qcow2') as Task['target']['diskFormat'],
      containerFormat: 'bare',
      visibility: 'private',
      properties: { purpose: 'test' },
      ...over.target,
    },
  };
}

export interface Harness {
  deps: TaskDeps;
  config: RunnerConfig;
  scratchDir: string;
  logs: string[];
  close(): Promise<void>;
}

/** The runner's dependencies against the double service and the simulator, as main.ts wires them. */
export async function runnerHarness(env: SimEnv, service: ServiceDouble, extra: Record<string, unknown> = {}, free?: FreeBytes): Promise<Harness> {
  const scratchDir = join(env.dir, `scratch-${randomUUID().slice(0, 8)}`);
  const config = buildRunnerConfig(
    { serviceUrl: service.url, scratchDir, cloudsFile: env.cloudsFile, claimWaitSeconds: 1, download: { resumeAttempts: 3, resumeDelay: 10 }, ...extra },
    { SNAPFLOW_RUNNER_TOKEN: service.token },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const log = createRunnerLogger('debug', { runner: 'test' }, sink);
  const { scratch } = await Scratch.open(scratchDir);
  const client = new RunnerServiceClient({ url: service.url, token: service.token });
  const clouds = new CloudClients(config.cloudsFile, {});
  const deps: TaskDeps = { config, clouds, service: client, scratch, space: new SpaceLedger(scratchDir, free), log };
  return {
    deps,
    config,
    scratchDir,
    logs,
    async close() {
      await client.close();
      await clouds.close();
      await scratch.close();
    },
  };
}
