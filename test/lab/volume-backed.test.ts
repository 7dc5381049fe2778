// Real-cloud tier, volume-backed (boot-from-volume) server: snapshot, then rollback through
// the export chain and a 2.93 rebuild, checked on the bytes of the lab's file-backed volume.
// Runs only with OS_CLOUD set and Cinder in the catalog (the lab's OSLAB_CINDER=1):
//   OS_CLIENT_CONFIG_FILE=/var/tmp/oslab/clouds.yaml OS_CLOUD=oslab npx vitest run --project lab
// It deletes everything it made in afterAll, and checks that the jobs left nothing temporary.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessService, type JobJson, startInProcessService } from '../../functions/in-process-service';
import { exportName } from '../../functions/workflows/export-lookup';
import { rootVolumeImageId } from '../../functions/workflows/root-volume';
import type { OpenStackClient } from '../../shared/openstack/client';
import { attachedVolumeIds } from '../../shared/openstack/compute-schemas';
import { imageProperty, imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { serverOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { Cleanup, contractName } from '../contract/helpers';
import { type ContractTarget, openTarget } from '../contract/target';

const CLOUD = process.env.OS_CLOUD ?? '';
const POLICY = 'lab';
/** Where the lab's Cinder driver keeps each volume as a file (shared/lab/openstack/README.md, "Cinder"). */
const VOLUME_DIR = '/var/lib/cinder/oslab-volumes';

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A guest writing its disk: new bytes at the start and in the middle, the file keeps its size. */
async function scribble(path: string): Promise<void> {
  const f = await open(path, 'r+');
  try {
    const { size } = await f.stat();
    await f.write(randomBytes(1 << 20), 0, 1 << 20, 0);
    await f.write(randomBytes(4096), 0, 4096, Math.floor(size / 2));
  } finally {
    await f.close();
  }
}

describe.skipIf(!CLOUD)('lab: a volume-backed server, snapshot and rollback', () => {
  let target: ContractTarget;
  let os: OpenStackClient;
  let api: InProcessService;
  let cinder = false;
  const cleanup = new Cleanup();
  const name = contractName('-lab-bfv');
  let serverId = '';
  let rootVolumeId = '';
  let snapshotImageId = '';

  async function run(body: Record<string, unknown>): Promise<JobJson> {
    const id = await api.submit({ cloud: CLOUD, ...body });
    const job = await api.wait(id, 600_000);
    if (job.state !== 'succeeded') throw new Error(`${String(body.kind)} job ${id} ${job.state}: ${JSON.stringify(job.error)}`);
    return job;
  }

  beforeAll(async () => {
    target = await openTarget();
    os = target.client();
    cinder = await os.volume.available();
    if (!cinder) return;
    api = await startInProcessService({ cloudNames: [CLOUD], mode: 'cloud' });
    const [base] = await os.image.listAll({ filters: { name: target.baseImageName } });
    ({ id: serverId } = await os.compute.createServer({
      name,
      flavor: target.flavor,
      networks: 'none',
      blockDeviceMappingV2: [{ boot_index: 0, uuid: base!.id, source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: false }],
    }));
    // LIFO: the server, then its snapshots (image and Cinder snapshots), then the root volume.
    cleanup.add('root volume', async () => {
      if (!rootVolumeId) return;
      await os.volume.deleteVolume(rootVolumeId);
      await waitGone(`volume ${rootVolumeId} delete`, () => os.volume.getVolume(rootVolumeId));
    });
    cleanup.add('snapshots of the server', async () => {
      const images = (await os.image.listAll({ filters: { snapflow_server: serverId } })).filter((i) => imageProperty(i, 'snapflow_server') === serverId);
      for (const image of images) {
        await orNull(os.image.delete(image.id));
        for (const snap of imageVolumeSnapshotIds(image)) {
          await orNull(os.volume.deleteSnapshot(snap));
          await waitGone(`volume snapshot ${snap} delete`, () => os.volume.getSnapshot(snap));
        }
      }
    });
    cleanup.add('server', async () => {
      await os.compute.deleteServer(serverId);
      await waitGone(`server ${serverId} delete`, () => os.compute.getServer(serverId), { timeoutMs: 170_000 });
    });
    const server = await waitFor(
      'bfv server ACTIVE',
      () => os.compute.getServer(serverId),
      (s) => serverOutcome(s, 'ACTIVE'),
      { timeoutMs: 170_000 },
    );
    [rootVolumeId] = attachedVolumeIds(server) as [string];
  });

  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      await api?.close();
      await target?.close();
    }
  });

  it('snapshot records the Cinder snapshot of the root volume', async (ctx) => {
    if (!cinder) ctx.skip();
    expect(rootVolumeId).toBeTruthy();
    const job = await run({ kind: 'snapshot', server: name, policy: POLICY });
    expect(job.result).toMatchObject({ serverId, volumeBacked: true });
    snapshotImageId = job.result?.imageId as string;
    const snapIds = job.result?.volumeSnapshotIds as string[];
    expect(snapIds.length).toBeGreaterThan(0);
    const image = await os.image.get(snapshotImageId);
    expect(image.status).toBe('active');
    expect(imageProperty(image, 'snapflow_volume_backed')).toBe('true');
    expect(imageVolumeSnapshotIds(image).sort()).toEqual([...snapIds].sort());
    for (const snap of snapIds) {
      const s = await os.volume.getSnapshot(snap);
      expect(s.status).toBe('available');
      expect(s.volume_id).toBe(rootVolumeId);
    }
  });

  it('rollback latest: the snapshot is exported, the root volume re-imaged with it, its bytes back, nothing temporary left', async (ctx) => {
    if (!cinder || !snapshotImageId) ctx.skip();
    const file = `${VOLUME_DIR}/volume-${rootVolumeId}`;
    expect(existsSync(file)).toBe(true);
    const snapshotted = await fileSha256(file);
    await scribble(file);
    expect(await fileSha256(file)).not.toBe(snapshotted);

    const job = await run({ kind: 'rollback', server: name, image: 'latest', confirm: true });
    const result = job.result as Record<string, unknown>;
    expect(result).toMatchObject({ serverId, imageId: snapshotImageId, volumeBacked: true, verifiedBy: 'volume_image_metadata', status: 'ACTIVE' });
    expect(result.exportImageKept).toBe(false);
    const exportImageId = result.exportImageId as string;
    expect(exportImageId).toBeTruthy();

    const server = await os.compute.getServer(serverId);
    expect(server.status).toBe('ACTIVE');
    expect(attachedVolumeIds(server)).toEqual([rootVolumeId]);
    expect(await rootVolumeImageId(os, server)).toBe(exportImageId);
    expect(await fileSha256(file)).toBe(snapshotted);

    // The export's volume and image are gone (keepImages defaults to false), the snapshot stays.
    const leftName = exportName(job.id);
    expect((await os.volume.listVolumes({ filters: { name: leftName } })).filter((v) => v.name === leftName)).toEqual([]);
    expect((await os.image.listAll({ filters: { name: leftName } })).filter((i) => i.name === leftName)).toEqual([]);
    const exported = await orNull(os.image.get(exportImageId));
    expect(exported === null || exported.status === 'deleted').toBe(true);
    expect((await os.image.get(snapshotImageId)).status).toBe('active');
    const done = (await api.store.listEvents(job.id, 0, 1000)).filter((e) => e.type === 'step.done');
    const steps = done.map((e) => e.step);
    // Where the time goes (for the report of a run; nothing is asserted on it).
    const at = (e: { at: number }) => e.at;
    const timeline = done.map((e, i) => `${e.step} ${((at(e) - at(done[i - 1] ?? e)) / 1000).toFixed(1)}s`);
    console.info(`volume-backed rollback ${((at(done.at(-1)!) - at(done[0]!)) / 1000).toFixed(1)}s after resolve-server: ${timeline.join(', ')}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'create-export-volume',
        'upload-export-image',
        'wait-export-image',
        'delete-export-volume',
        'rebuild-server',
        'delete-export-image',
      ]),
    );
  });
});
