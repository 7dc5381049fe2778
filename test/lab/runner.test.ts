// Lab tier: the real runner, the real service and the real lab. An image made by
// ../shared/lab/sysprep/make-test-image.sh goes into the lab's source project; a job's
// clean-image step queues its task; `snapflow-runner` processes (real qemu-img, virt-sysprep,
// guestfish) clean it and upload it into the `dest` project. The first runner is killed with
// -9 during the download, the second during virt-sysprep; the third takes the task over
// after the lease and finishes it: exactly one target image, the scratch directory empty.
// The runner reaches the source Glance through a slow local proxy so that "during the
// download" is a moment a test can hit. Every image it makes is deleted.
//   OS_CLIENT_CONFIG_FILE=/var/tmp/oslab/clouds.yaml OS_CLOUD=oslab npx vitest run --project lab test/lab/runner.test.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLEAN_KIND, cleanWorkflow } from '../../bench/lib/clean-workflow';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import type { OpenStackClient } from '../../shared/openstack/client';
import { imageProperty } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { contractName } from '../contract/helpers';
import { type ContractTarget, openTarget } from '../contract/target';
import { libguestfsForTests, makeTestImage, missingTools } from '../runner-tools/support';
import { startThrottleProxy, type ThrottleProxy } from './throttle-proxy';

const CLOUD = process.env.OS_CLOUD ?? '';
const DEST = process.env.SNAPFLOW_CONTRACT_DEST_CLOUD ?? 'oslab-dest';
const GLANCE_PORT = Number(process.env.SNAPFLOW_LAB_GLANCE_PORT ?? 9292);
const BIN = fileURLToPath(new URL('../../runner/bin/snapflow-runner.mjs', import.meta.url));
const TOKEN = 'lab-runner-token-0123456789';
const skip = !CLOUD ? 'OS_CLOUD is not set' : missingTools();
if (CLOUD && skip) console.warn(skip);

describe.skipIf(!!skip)('lab: a real runner cleans an image for a job, surviving kill -9 twice', () => {
  let target: ContractTarget;
  let source: OpenStackClient;
  let dest: OpenStackClient;
  let api: InProcessService;
  let proxy: ThrottleProxy;
  let dir: string;
  let scratchDir: string;
  let configFile: string;
  let sourceImageId = '';
  let jobId = '';
  const runners: ChildProcess[] = [];

  const startRunner = (): ChildProcess => {
    const p = spawn(process.execPath, ['--liftoff-only', BIN, '--config', configFile], {
      env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin`, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: TOKEN, SNAPFLOW_RUNNER_SOURCE: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    runners.push(p);
    return p;
  };
  const killed = (p: ChildProcess) =>
    new Promise<void>((ok) => {
      if (p.exitCode !== null || p.signalCode !== null) return ok();
      p.once('exit', () => ok());
      p.kill('SIGKILL');
    });
  /** Processes a killed runner left running on its task (virt-sysprep and its appliance): this test's own. */
  const orphansOf = (path: string): number[] =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path);
        } catch {
          return false;
        }
      })
      .map(Number);
  async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const progress = async () => (await api.store.getJob(jobId))?.progress ?? null;
  const task = async () => api.store.findRunnerTask(jobId, 'clean-image', `${CLOUD}/${sourceImageId}`);
  const targetImages = async () => (await dest.image.listAll()).filter((i) => imageProperty(i, 'snapflow_job') === jobId);

  beforeAll(async () => {
    target = await openTarget();
    source = target.client();
    dest = target.client(target.dest);
    dir = mkdtempSync(join(tmpdir(), 'snapflow-lab-runner-'));
    // data in the image so that the download takes a while through the proxy
    const file = join(dir, 'source.qcow2');
    makeTestImage(file, '--variant', 'el8', '--fill-mb', '48');
    const created = await source.image.create({ name: contractName('-runner-src'), disk_format: 'qcow2', container_format: 'bare' });
    sourceImageId = created.id;
    await source.image.upload(sourceImageId, { path: file });
    rmSync(file);

    proxy = await startThrottleProxy(GLANCE_PORT, 4 * 1024 * 1024);
    const clouds = parse(readFileSync(process.env.OS_CLIENT_CONFIG_FILE ?? '/var/tmp/oslab/clouds.yaml', 'utf8')) as {
      clouds: Record<string, Record<string, unknown>>;
    };
    clouds.clouds[CLOUD]!.image_endpoint_override = proxy.url;
    const runnerClouds = join(dir, 'clouds.yaml');
    writeFileSync(runnerClouds, stringify(clouds), { mode: 0o600 });

    api = await startInProcessService({
      cloudNames: [CLOUD, DEST],
      mode: 'cloud',
      configFile: { runner: { leaseTtl: '6s' } },
      tokens: [{ name: 'lab-runner', sha256: await sha256Hex(TOKEN), scopes: ['runner'], targets: [] }],
      workflows: (deps, r) => [cleanWorkflow(deps, r)],
    });
    scratchDir = join(dir, 'scratch');
    configFile = join(dir, 'runner.yaml');
    writeFileSync(
      configFile,
      stringify({
        serviceUrl: await api.listen(),
        runnerId: 'lab-runner',
        scratchDir,
        cloudsFile: runnerClouds,
        claimWaitSeconds: 5,
        libguestfs: libguestfsForTests(),
        timeouts: { sysprep: '10m', verify: '10m', qemuImg: '2m' },
        headroom: { minBytes: '256MiB', fraction: 0.1 },
      }),
    );
  }, 300_000);

  afterAll(async () => {
    for (const p of runners) await killed(p);
    if (scratchDir) for (const pid of orphansOf(scratchDir)) process.kill(pid, 'SIGKILL');
    if (dest && jobId) for (const image of await targetImages().catch(() => [])) await orNull(dest.image.delete(image.id));
    if (source && sourceImageId) await orNull(source.image.delete(sourceImageId));
    await api?.close();
    await proxy?.close();
    await target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('kill -9 during the download, kill -9 during virt-sysprep, then a runner that finishes: one image in dest', async () => {
    const first = startRunner();
    const targetName = contractName('-runner-clean');
    jobId = (
      await api.service.engine.submit(CLEAN_KIND, { cloud: CLOUD, server: 'lab-web', imageId: sourceImageId, targetCloud: DEST, targetName, mode: 'full' })
    ).job.id;

    await until(
      'the first runner to be downloading',
      async () => {
        const p = await progress();
        return p?.phase === 'download' && (p.done ?? 0) > 0 && (p.done ?? 0) < (p.total ?? 0);
      },
      120_000,
    );
    await killed(first);
    expect(readdirSync(scratchDir).filter((f) => f.startsWith('task-'))).toHaveLength(1);

    const second = startRunner();
    await until('the second runner to be in virt-sysprep', async () => (await task())?.attempt === 2 && (await progress())?.phase === 'sysprep', 300_000);
    // virt-sysprep surely started: its process names the task's file
    await until('virt-sysprep to run', async () => orphansOf(scratchDir).length > 0, 60_000);
    await killed(second);
    for (const pid of orphansOf(scratchDir)) process.kill(pid, 'SIGKILL');

    const third = startRunner();
    const job = await api.wait(jobId, 600_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(await task()).toMatchObject({ state: 'done', attempt: 3 });
    const claims = (await api.events(jobId)).filter((e) => /^runner\.(re)?claimed$/.test(e.type)).map((e) => e.type);
    expect(claims).toEqual(['runner.claimed', 'runner.reclaimed', 'runner.reclaimed']);

    const images = await targetImages();
    expect(images.map((i) => i.id)).toEqual([job.result?.imageId]);
    const image = images[0]!;
    expect(image).toMatchObject({ status: 'active', name: targetName, disk_format: 'qcow2' });
    expect(imageProperty(image, 'snapflow_source_image')).toBe(sourceImageId);
    expect(imageProperty(image, 'os')).toBe('LINUX');
    expect(image.os_hash_value).toBe((job.result?.digests as { target: Record<string, string> } | undefined)?.target.sha512);

    third.kill('SIGTERM');
    await new Promise<void>((ok) => (third.exitCode !== null ? ok() : third.once('exit', () => ok())));
    expect(third.exitCode).toBe(0);
    expect(readdirSync(scratchDir)).toEqual([]);
    expect(orphansOf(scratchDir)).toEqual([]);
  }, 900_000);
});
