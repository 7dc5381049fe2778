// Lab tier: clone, move and rename through the real service, a real snapflow-runner (real
// qemu-img, virt-sysprep, guestfish verify) and the real lab. One source server boots from
// an image made by ../shared/lab/sysprep/make-test-image.sh; four jobs, so four virt-sysprep
// runs: clone it into admin (keeping the images, to check the cleaned one), move it to dest
// keeping the hostname (the injected resolver stops resolving once no server in admin has
// the name), rename it in dest, and move the clone to dest without keepHostname, deleting
// its source at the end. Nothing temporary is left; what remains is deleted in afterAll.
// The lab's compute driver makes a snapshot from the bytes of the image the server booted
// from (a short text once that image is gone), so the two jobs whose new servers are
// snapshotted again later keep their images (keepImages) until afterAll. With Cinder in the
// catalog (OSLAB_CINDER=1), a fifth job clones a volume-backed server made from the same
// image: its root disk is exported, cleaned, and the copy boots from a new volume.
//   OS_CLIENT_CONFIG_FILE=/var/tmp/oslab/clouds.yaml OS_CLOUD=oslab npx vitest run --project lab test/lab/clone-move-rename.test.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type InProcessService, type JobJson, startInProcessService } from '../../functions/in-process-service';
import { exportName } from '../../functions/workflows/export-lookup';
import { rootVolumeImageId } from '../../functions/workflows/root-volume';
import { sha256Hex } from '../../shared/auth/hash';
import type { OpenStackClient } from '../../shared/openstack/client';
import { attachedVolumeIds } from '../../shared/openstack/compute-schemas';
import { imageProperty } from '../../shared/openstack/image-schemas';
import { exactNameFilter } from '../../shared/openstack/nova-name';
import { orNull } from '../../shared/openstack/or-null';
import { serverOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { contractName } from '../contract/helpers';
import { type ContractTarget, openTarget } from '../contract/target';
import { libguestfsForTests, makeTestImage, missingTools } from '../runner-tools/support';

const CLOUD = process.env.OS_CLOUD ?? '';
const DEST = process.env.SNAPFLOW_CONTRACT_DEST_CLOUD ?? 'oslab-dest';
const BIN = fileURLToPath(new URL('../../runner/bin/snapflow-runner.mjs', import.meta.url));
const TOKEN = 'lab-cmr-runner-token-0123456789';
const skip = !CLOUD ? 'OS_CLOUD is not set' : missingTools();
if (CLOUD && skip) console.warn(skip);

describe.skipIf(!!skip)('lab: clone, move and rename with a real runner', () => {
  let target: ContractTarget;
  let admin: OpenStackClient;
  let dest: OpenStackClient;
  let api: InProcessService;
  let runner: ChildProcess | undefined;
  let dir = '';
  let scratchDir = '';
  let baseImageId = '';
  const name = contractName('-cmr');
  const jobs: string[] = [];

  const byName = async (os: OpenStackClient, n: string) =>
    (await os.compute.listAllServers({ filters: { name: exactNameFilter(n) } })).filter((s) => s.name === n);
  // the lab's admin user sees the dest project's images too: one entry per id
  const jobImages = async (jobId: string) => {
    const all = [...(await admin.image.listAll({ filters: { snapflow_job: jobId } })), ...(await dest.image.listAll({ filters: { snapflow_job: jobId } }))];
    return [...new Map(all.filter((i) => imageProperty(i, 'snapflow_job') === jobId).map((i) => [i.id, i])).values()];
  };
  async function run(body: Record<string, unknown>): Promise<JobJson> {
    const id = await api.submit(body);
    jobs.push(id);
    const job = await api.wait(id, 900_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    return job;
  }
  const deleteServers = async (os: OpenStackClient, n: string) => {
    for (const s of await byName(os, n)) {
      await orNull(os.compute.deleteServer(s.id));
      await waitGone(`server ${s.id} delete`, () => os.compute.getServer(s.id), { timeoutMs: 170_000 });
    }
  };

  beforeAll(async () => {
    target = await openTarget();
    admin = target.client();
    dest = target.client(target.dest);
    dir = mkdtempSync(join(tmpdir(), 'snapflow-lab-cmr-'));
    const file = join(dir, 'source.qcow2');
    makeTestImage(file, '--variant', 'el8');
    baseImageId = (await admin.image.create({ name: `${name}-base`, disk_format: 'qcow2', container_format: 'bare' })).id;
    await admin.image.upload(baseImageId, { path: file });
    rmSync(file);
    const { id } = await admin.compute.createServer({ name, flavor: target.flavor, networks: 'none', imageRef: baseImageId, metadata: { purpose: 'lab-cmr' } });
    await waitFor(
      'source ACTIVE',
      () => admin.compute.getServer(id),
      (s) => serverOutcome(s, 'ACTIVE'),
      { timeoutMs: 170_000 },
    );

    api = await startInProcessService({
      cloudNames: [CLOUD, DEST],
      mode: 'cloud',
      configFile: { runner: { leaseTtl: '30s' }, dns: { expiryWait: '5m' } },
      tokens: [{ name: 'lab-runner', sha256: await sha256Hex(TOKEN), scopes: ['runner'], targets: [] }],
      // the lab has no DNS for its servers: a name "resolves" while a server in admin has it
      hostResolves: async (host) => (await byName(admin, host)).length > 0,
    });
    scratchDir = join(dir, 'scratch');
    const configFile = join(dir, 'runner.yaml');
    writeFileSync(
      configFile,
      stringify({
        serviceUrl: await api.listen(),
        runnerId: 'lab-cmr-runner',
        scratchDir,
        cloudsFile: process.env.OS_CLIENT_CONFIG_FILE ?? '/var/tmp/oslab/clouds.yaml',
        claimWaitSeconds: 5,
        libguestfs: libguestfsForTests(),
        timeouts: { sysprep: '10m', verify: '10m', qemuImg: '2m' },
        headroom: { minBytes: '256MiB', fraction: 0.1 },
      }),
    );
    runner = spawn(process.execPath, [BIN, '--config', configFile], {
      env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin`, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: TOKEN, SNAPFLOW_RUNNER_SOURCE: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }, 600_000);

  afterAll(async () => {
    if (runner && runner.exitCode === null) {
      runner.kill('SIGTERM');
      await new Promise((ok) => runner!.once('exit', ok));
    }
    for (const n of [name, `${name}-clone`, `${name}-renamed`, `${name}-bfv`, `${name}-bfv-copy`]) {
      await deleteServers(admin, n).catch(() => undefined);
      await deleteServers(dest, n).catch(() => undefined);
    }
    for (const os of [admin, dest])
      for (const id of jobs) for (const i of await os.image.listAll({ filters: { snapflow_job: id } }).catch(() => [])) await orNull(os.image.delete(i.id));
    if (baseImageId) await orNull(admin.image.delete(baseImageId));
    await api?.close();
    await target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 900_000);

  it('clone into admin: a fully cleaned image with os=LINUX (verified by the runner), a new ACTIVE server, the source running', async () => {
    const job = await run({ kind: 'clone', cloud: CLOUD, server: name, newName: `${name}-clone`, keepImages: true, deletePaths: ['/etc/krb5.keytab'] });
    const r = job.result as { cleanedImageId: string; snapshotImageId: string; newServer: { id: string } };
    const cleaned = await admin.image.get(r.cleanedImageId);
    expect(imageProperty(cleaned, 'os')).toBe('LINUX');
    expect(imageProperty(cleaned, 'snapflow_verified')).toBeDefined();
    expect((await admin.compute.getServer(r.newServer.id)).status).toBe('ACTIVE');
    expect((await byName(admin, name))[0]?.status).toBe('ACTIVE');
    expect((await jobImages(job.id)).map((i) => i.id).sort()).toEqual([r.cleanedImageId, r.snapshotImageId].sort());
  });

  it('move admin → dest keeping the hostname: the source is deleted, the name expires, the copy runs in dest', async () => {
    const job = await run({ kind: 'move', cloud: CLOUD, server: name, to: { cloud: DEST }, keepHostname: true, confirm: true, keepImages: true });
    expect(job.result).toMatchObject({ sourceDeleted: true, hostname: name });
    expect(await byName(admin, name)).toEqual([]);
    const [moved] = await byName(dest, name);
    expect(moved).toMatchObject({ status: 'ACTIVE', metadata: { purpose: 'lab-cmr' } });
    const cleaned = await dest.image.get((job.result as { cleanedImageId: string }).cleanedImageId);
    expect(imageProperty(cleaned, 'snapflow_verified')).toBeDefined();
    expect(await jobImages(job.id)).toHaveLength(2);
  });

  it('rename in dest: the new server with the new name, then the old one deleted', async () => {
    const job = await run({ kind: 'rename', cloud: DEST, server: name, newName: `${name}-renamed`, confirm: true });
    expect(await byName(dest, name)).toEqual([]);
    expect((await byName(dest, `${name}-renamed`))[0]?.status).toBe('ACTIVE');
    expect(await jobImages(job.id)).toEqual([]);
  });

  it('move the clone admin → dest without keepHostname: the source is deleted only after the copy is ACTIVE', async () => {
    const job = await run({ kind: 'move', cloud: CLOUD, server: `${name}-clone`, to: { cloud: DEST }, deleteSource: true, confirm: true });
    expect(job.result).toMatchObject({ sourceDeleted: true });
    const steps = (await api.events(job.id)).filter((e) => e.type === 'step.done').map((e) => e.step);
    expect(steps.indexOf('wait-new-server')).toBeLessThan(steps.indexOf('delete-source-at-end'));
    expect(await byName(admin, `${name}-clone`)).toEqual([]);
    expect((await byName(dest, `${name}-clone`))[0]?.status).toBe('ACTIVE');
    expect(await jobImages(job.id)).toEqual([]);
    expect(readdirSync(scratchDir).filter((f) => f.startsWith('task-'))).toEqual([]);
  });

  it('clone a volume-backed server: the root disk exported, cleaned, the copy booting from a new volume, nothing temporary left', async (ctx) => {
    if (!(await admin.volume.available())) ctx.skip();
    const source = `${name}-bfv`;
    const { id: sourceId } = await admin.compute.createServer({
      name: source,
      flavor: target.flavor,
      networks: 'none',
      blockDeviceMappingV2: [
        { boot_index: 0, uuid: baseImageId, source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
      ],
    });
    await waitFor(
      'bfv source ACTIVE',
      () => admin.compute.getServer(sourceId),
      (s) => serverOutcome(s, 'ACTIVE'),
      { timeoutMs: 300_000 },
    );
    const rootId = attachedVolumeIds(await admin.compute.getServer(sourceId))[0]!;
    const job = await run({ kind: 'clone', cloud: CLOUD, server: source, newName: `${source}-copy`, bootFromVolume: { size: 1 } });
    const r = job.result as { snapshotImageId: string; exportImageId: string; cleanedImageId: string; imagesDeleted: string[]; newServer: { id: string } };
    expect(r.exportImageId).toBeTruthy();
    expect(new Set(r.imagesDeleted)).toEqual(new Set([r.snapshotImageId, r.exportImageId, r.cleanedImageId]));
    const copy = await admin.compute.getServer(r.newServer.id);
    expect(copy.status).toBe('ACTIVE');
    expect(await rootVolumeImageId(admin, copy)).toBe(r.cleanedImageId);
    expect((await admin.compute.getServer(sourceId)).status).toBe('ACTIVE');
    expect(await jobImages(job.id)).toEqual([]);
    const exports = (await admin.volume.listVolumes({ filters: { name: exportName(job.id) } })).filter((v) => v.status !== 'deleting');
    expect(exports).toEqual([]);
    const snapshots = (await admin.volume.listSnapshots({ filters: { volume_id: rootId } })).filter((x) => x.status !== 'deleting');
    expect(snapshots).toEqual([]);
  });
});
