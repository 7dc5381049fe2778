import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenStackClient } from '../../shared/openstack/client';
import { attachedVolumeIds, isVolumeBacked } from '../../shared/openstack/compute-schemas';
import { NotFoundError } from '../../shared/openstack/errors';
import { imageProperty, imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { imageOutcome, serverOutcome, snapshotOutcome, volumeOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { Cleanup, contractName } from './helpers';
import { type ContractTarget, openTarget } from './target';

// Boot-from-volume: the createImage of such a server is a properties-only image (size 0)
// whose block_device_mapping points at Cinder snapshots. Skipped only when the cloud has
// no block-storage endpoint.

let target: ContractTarget;
let os: OpenStackClient;
let hasVolume = false;
const cleanup = new Cleanup();
const name = contractName('-bfv');
let serverId = '';
let rootVolumeId = '';
let imageId = '';
let snapshotIds: string[] = [];
let baseImageId = '';

beforeAll(async () => {
  target = await openTarget();
  os = target.client();
  hasVolume = await os.volume.available();
  const [base] = await os.image.listAll({ filters: { name: target.baseImageName } });
  baseImageId = base!.id;
});
afterAll(async () => {
  try {
    await cleanup.run();
  } finally {
    await target?.close();
  }
});

const deleteVolume = async (id: string) => {
  await os.volume.deleteVolume(id);
  await waitGone(`volume ${id} delete`, () => os.volume.getVolume(id));
};
const deleteSnapshot = async (id: string) => {
  await os.volume.deleteSnapshot(id);
  await waitGone(`snapshot ${id} delete`, () => os.volume.getSnapshot(id));
};

describe('cinder: volume-backed server snapshot', () => {
  it('boots a server from a new volume (bdm_v2 image -> volume)', async (ctx) => {
    if (!hasVolume) ctx.skip();
    const created = await os.compute.createServer({
      name,
      flavor: target.flavor,
      networks: 'none',
      blockDeviceMappingV2: [
        { boot_index: 0, uuid: baseImageId, source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: false },
      ],
    });
    serverId = created.id;
    // Registered first so it runs last: the root volume outlives the server and snapshots.
    cleanup.add('root volume', async () => {
      if (rootVolumeId) await deleteVolume(rootVolumeId);
    });
    cleanup.add('server', async () => {
      await os.compute.deleteServer(serverId);
      await waitGone('server delete', () => os.compute.getServer(serverId));
    });
    const server = await waitFor(
      'bfv server ACTIVE',
      () => os.compute.getServer(serverId),
      (s) => serverOutcome(s, 'ACTIVE'),
      {
        timeoutMs: 170_000,
      },
    );
    expect(isVolumeBacked(server)).toBe(true);
    [rootVolumeId] = attachedVolumeIds(server) as [string];
    expect(rootVolumeId).toBeTruthy();
    const volume = await os.volume.getVolume(rootVolumeId);
    expect(volumeOutcome(volume, 'in-use')).toBe('ready');
  });

  it('createImage yields a size-0 image whose volume snapshots become available', async (ctx) => {
    if (!hasVolume) ctx.skip();
    imageId = await os.compute.createImage(serverId, `${name}-snap`, { snapflow_job: 'contract-bfv' });
    cleanup.add('bfv image', () => os.image.delete(imageId));
    const image = await waitFor('bfv image active', () => os.image.get(imageId), imageOutcome);
    expect(image.size).toBe(0);
    expect(imageProperty(image, 'bdm_v2')).toBe('True');
    expect(imageProperty(image, 'snapflow_job')).toBe('contract-bfv');
    snapshotIds = imageVolumeSnapshotIds(image);
    expect(snapshotIds).toHaveLength(1);
    for (const id of snapshotIds) {
      cleanup.add(`volume snapshot ${id}`, () => deleteSnapshot(id));
      const snap = await waitFor(`snapshot ${id}`, () => os.volume.getSnapshot(id), snapshotOutcome);
      expect(snap.volume_id).toBe(rootVolumeId);
    }
    const listed = await os.volume.listSnapshots({ filters: { volume_id: rootVolumeId } });
    expect(listed.map((s) => s.id)).toEqual(expect.arrayContaining(snapshotIds));
  });

  it('exports: volume from the snapshot, then os-volume_upload_image', async (ctx) => {
    if (!hasVolume) ctx.skip();
    const volume = await os.volume.createVolumeFromSnapshot({ snapshotId: snapshotIds[0]!, name: `${name}-export` });
    cleanup.add('export volume', () => deleteVolume(volume.id));
    const ready = await waitFor(
      'export volume',
      () => os.volume.getVolume(volume.id),
      (v) => volumeOutcome(v),
    );
    expect(ready.snapshot_id).toBe(snapshotIds[0]);
    expect((await os.volume.listVolumes()).map((v) => v.id)).toContain(volume.id);
    const exportedId = await os.volume.uploadToImage(volume.id, { imageName: `${name}-export`, diskFormat: 'qcow2' });
    cleanup.add('exported image', () => os.image.delete(exportedId));
    const exported = await waitFor('exported image', () => os.image.get(exportedId), imageOutcome, { timeoutMs: 170_000 });
    expect(exported.disk_format).toBe('qcow2');
    expect(exported.size).toBeGreaterThan(0);
    await waitFor(
      'export volume available again',
      () => os.volume.getVolume(volume.id),
      (v) => volumeOutcome(v),
    );
  });

  it('rebuilds the volume-backed server with another image at 2.93', async (ctx) => {
    if (!hasVolume) ctx.skip();
    if (!(await os.compute.supports('2.93'))) ctx.skip();
    const other = await os.image.create({ name: `${name}-other`, disk_format: 'raw', container_format: 'bare' });
    cleanup.add('other image', () => os.image.delete(other.id));
    await os.image.upload(other.id, { bytes: new Uint8Array(1024 * 1024).fill(7) });
    await waitFor('other image', () => os.image.get(other.id), imageOutcome);
    const server = await os.compute.rebuild(serverId, { imageRef: other.id, microversion: '2.93' });
    expect(server.id).toBe(serverId);
    await waitFor(
      'rebuilt bfv server',
      () => os.compute.getServer(serverId),
      (s) => serverOutcome(s, 'ACTIVE'),
      { timeoutMs: 170_000 },
    );
    const volume = await waitFor(
      'root volume in-use',
      () => os.volume.getVolume(rootVolumeId),
      (v) => volumeOutcome(v, 'in-use'),
    );
    expect(volume.volume_image_metadata?.image_id).toBe(other.id);
  });

  it('missing volumes and snapshots are typed 404s', async (ctx) => {
    if (!hasVolume) ctx.skip();
    const zero = '00000000-0000-0000-0000-000000000000';
    const v = await os.volume.getVolume(zero).catch((e: unknown) => e);
    expect(v).toBeInstanceOf(NotFoundError);
    expect((v as NotFoundError).serverMessage).toBe(`Volume ${zero} could not be found.`);
    expect((v as NotFoundError).requestId).toMatch(/^req-/);
    const s = await os.volume.getSnapshot(zero).catch((e: unknown) => e);
    expect(s).toBeInstanceOf(NotFoundError);
    expect((s as NotFoundError).service).toBe('volume');
  });
});
