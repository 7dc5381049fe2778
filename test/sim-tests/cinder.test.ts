import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import type { Session } from './helpers';
import { client, login, waitFor } from './helpers';

let sim: SimHandle;
let s: Session;
let api: ReturnType<typeof client>;
let cv: ReturnType<typeof client>;
beforeAll(async () => {
  sim = await startSimulator({ latency: { build: 10, volume: 20, volumeSnapshot: 20, rebuild: 30, upload: 20 } });
  s = await login(sim);
  api = client(sim, s);
  cv = client(sim, s, '2.93');
});
afterAll(async () => {
  await sim.close();
});

const vpath = (p: string) => `/v3/${s.projectId}${p}`;
const vol = async (id: string) => (await api('GET', vpath(`/volumes/${id}`), undefined, { 'OpenStack-API-Version': 'volume 3.60' })).json.volume;
const untilVol = (id: string, st: string) => waitFor(async () => ((await vol(id))?.status === st ? vol(id) : null));

describe('cinder and boot from volume', () => {
  it('creates a bootable volume from an image and answers 404 like cinder', async () => {
    const r = await api('POST', vpath('/volumes'), { volume: { size: 1, name: 'v1', imageRef: sim.state.baseImageId } });
    expect(r.status).toBe(202);
    expect(r.headers.get('openstack-api-version')).toBe('volume 3.0');
    expect(r.json.volume).toMatchObject({ status: 'creating', bootable: 'false', size: 1, name: 'v1' });
    const v = await untilVol(r.json.volume.id, 'available');
    expect(v.bootable).toBe('true');
    expect(v.volume_image_metadata.image_id).toBe(sim.state.baseImageId);
    const nf = await api('GET', vpath('/volumes/00000000-0000-0000-0000-000000000000'));
    expect(nf.json).toEqual({ itemNotFound: { code: 404, message: 'Volume 00000000-0000-0000-0000-000000000000 could not be found.' } });
    expect((await api('GET', vpath('/volumes'))).json.volumes[0]).toEqual({ id: v.id, name: 'v1', links: expect.any(Array) });
  });

  it('boots from a volume, snapshots it (size-0 image + cinder snapshot), refuses backup, rebuilds only at 2.93', async () => {
    const created = await api('POST', vpath('/volumes'), { volume: { size: 1, imageRef: sim.state.baseImageId } });
    const volId = created.json.volume.id;
    await untilVol(volId, 'available');
    const boot = await api('POST', '/v2.1/servers', {
      server: {
        name: 'bfv',
        flavorRef: '42',
        networks: 'none',
        block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: volId, boot_index: 0, delete_on_termination: false }],
      },
    });
    expect(boot.status).toBe(202);
    const id = boot.json.server.id;
    await waitFor(async () => (await api('GET', `/v2.1/servers/${id}`)).json.server.status === 'ACTIVE');
    const srv = (await api('GET', `/v2.1/servers/${id}`)).json.server;
    expect(srv.image).toBe('');
    expect(srv['os-extended-volumes:volumes_attached']).toEqual([{ id: volId, delete_on_termination: false }]);
    expect((await vol(volId)).status).toBe('in-use');

    const snap = await api('POST', `/v2.1/servers/${id}/action`, { createImage: { name: 'bfv-snap' } });
    const img = (await api('GET', `/v2/images/${snap.json.image_id}`)).json;
    expect(img).toMatchObject({ status: 'active', size: 0, bdm_v2: 'True', root_device_name: '/dev/sda', base_image_ref: '', oslab: 'base' });
    // as on the lab: a volume-backed snapshot has no instance_uuid / image_type
    expect(img).not.toHaveProperty('instance_uuid');
    expect(img).not.toHaveProperty('image_type');
    expect(img.block_device_mapping).toContain('"source_type": "snapshot"');
    const bdm = JSON.parse(img.block_device_mapping);
    expect(bdm[0]).toMatchObject({ source_type: 'snapshot', destination_type: 'volume', boot_index: 0, volume_size: 1 });
    const sn = await waitFor(async () => {
      const r = (await api('GET', vpath(`/snapshots/${bdm[0].snapshot_id}`))).json.snapshot;
      return r.status === 'available' ? r : null;
    });
    expect(sn.name).toBe('snapshot for bfv-snap');

    const bk = await api('POST', `/v2.1/servers/${id}/action`, { createBackup: { name: 'b', backup_type: 'daily', rotation: 1 } });
    expect(bk.json).toEqual({ badRequest: { code: 400, message: 'Backup is not supported for volume-backed instances.' } });

    const other = sim.state.addImage({ name: 'other' }, Buffer.from('other bytes'));
    const old = await api('POST', `/v2.1/servers/${id}/action`, { rebuild: { imageRef: other.id } });
    expect(old.json).toEqual({ badRequest: { code: 400, message: 'Unable to rebuild with a different image for a volume-backed server.' } });
    const ok = await cv('POST', `/v2.1/servers/${id}/action`, { rebuild: { imageRef: other.id } });
    expect(ok.status).toBe(202);
    await waitFor(async () => {
      const v = (await api('GET', `/v2.1/servers/${id}`)).json.server;
      return v.status === 'ACTIVE' && v['OS-EXT-STS:task_state'] === null;
    });
    expect((await vol(volId)).volume_image_metadata.image_id).toBe(other.id);

    // delete refused while the volume is attached or has snapshots, with cinder's text
    const refused = await api('DELETE', vpath(`/volumes/${volId}`));
    expect(refused.status).toBe(400);
    expect(refused.json.badRequest.message).toMatch(/^Invalid volume: Volume status must be available/);
    expect((await api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await untilVol(volId, 'available');
  });

  it('boots image -> volume with delete_on_termination and deletes that volume with the server', async () => {
    const boot = await api('POST', '/v2.1/servers', {
      server: {
        name: 'i2v',
        flavorRef: '42',
        networks: 'none',
        block_device_mapping_v2: [
          { source_type: 'image', destination_type: 'volume', uuid: sim.state.baseImageId, boot_index: 0, volume_size: 1, delete_on_termination: true },
        ],
      },
    });
    const id = boot.json.server.id;
    await waitFor(async () => (await api('GET', `/v2.1/servers/${id}`)).json.server.status === 'ACTIVE');
    const volId = (await api('GET', `/v2.1/servers/${id}`)).json.server['os-extended-volumes:volumes_attached'][0].id;
    await api('DELETE', `/v2.1/servers/${id}`);
    await waitFor(async () => (await api('GET', vpath(`/volumes/${volId}`))).status === 404);
  });

  it('volume from snapshot, then os-volume_upload_image makes an active image', async () => {
    const v0 = (await api('POST', vpath('/volumes'), { volume: { size: 1, imageRef: sim.state.baseImageId } })).json.volume;
    await untilVol(v0.id, 'available');
    const sn = (await api('POST', vpath('/snapshots'), { snapshot: { volume_id: v0.id, name: 's', force: true } })).json.snapshot;
    expect(sn.status).toBe('creating');
    await waitFor(async () => (await api('GET', vpath(`/snapshots/${sn.id}`))).json.snapshot.status === 'available');
    const v1 = (await api('POST', vpath('/volumes'), { volume: { snapshot_id: sn.id, name: 'from-snap' } })).json.volume;
    expect(v1.snapshot_id).toBe(sn.id);
    await untilVol(v1.id, 'available');
    const up = await api('POST', vpath(`/volumes/${v1.id}/action`), {
      'os-volume_upload_image': { image_name: 'exported', disk_format: 'raw', container_format: 'bare', force: false },
    });
    expect(up.status).toBe(202);
    expect(up.json['os-volume_upload_image']).toMatchObject({ id: v1.id, status: 'uploading', image_name: 'exported' });
    expect((await vol(v1.id)).status).toBe('uploading');
    const imageId = up.json['os-volume_upload_image'].image_id;
    const img = await waitFor(async () => {
      const i = (await api('GET', `/v2/images/${imageId}`)).json;
      return i.status === 'active' ? i : null;
    });
    expect(img.os_hash_value).toBe(sim.state.images.get(sim.state.baseImageId)!.hashValue);
    await untilVol(v1.id, 'available');
    const bad = await api('POST', vpath(`/volumes/${v1.id}/action`), { volume: {} });
    expect(bad.json.badRequest.message).toBe('There is no such action: volume. Verify the request body and Content-Type header and try again.');
    expect((await api('DELETE', vpath(`/snapshots/${sn.id}`))).status).toBe(202);
    await waitFor(async () => (await api('GET', vpath(`/snapshots/${sn.id}`))).status === 404);
  });
});
