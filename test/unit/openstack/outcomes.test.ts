import { describe, expect, it } from 'vitest';
import { serverSchema } from '../../../shared/openstack/compute-schemas';
import { imageSchema, imageVolumeSnapshotIds } from '../../../shared/openstack/image-schemas';
import { imageOutcome, serverOutcome, snapshotOutcome, volumeOutcome } from '../../../shared/openstack/outcomes';
import { snapshotSchema, volumeSchema } from '../../../shared/openstack/volume';

const image = (status: string, extra: Record<string, unknown> = {}) => imageSchema.parse({ id: 'i', status, ...extra });
const server = (status: string, task: string | null = null, extra: Record<string, unknown> = {}) =>
  serverSchema.parse({ id: 's', name: 'n', status, 'OS-EXT-STS:task_state': task, ...extra });

describe('status classifiers', () => {
  it('images', () => {
    expect(imageOutcome(image('active'))).toBe('ready');
    for (const s of ['queued', 'saving', 'importing', 'uploading']) expect(imageOutcome(image(s))).toBe('pending');
    for (const s of ['killed', 'deleted', 'deactivated']) expect(imageOutcome(image(s))).toEqual({ failed: `image i is ${s}` });
    expect(imageOutcome(null)).toEqual({ failed: 'image vanished' });
  });

  it('servers', () => {
    expect(serverOutcome(server('ACTIVE'), 'ACTIVE')).toBe('ready');
    expect(serverOutcome(server('ACTIVE', 'image_uploading'), 'ACTIVE')).toBe('pending');
    expect(serverOutcome(server('SHUTOFF'), 'SHUTOFF')).toBe('ready');
    expect(serverOutcome(server('ACTIVE', 'powering-off'), 'SHUTOFF')).toBe('pending');
    expect(serverOutcome(server('REBUILD', 'rebuild_spawning'), 'ACTIVE')).toBe('pending');
    expect(serverOutcome(server('BUILD'), 'ACTIVE')).toBe('pending');
    expect(serverOutcome(server('ERROR', null, { fault: { message: 'No valid host was found.', code: 500 } }), 'ACTIVE')).toEqual({
      failed: 'server s is in ERROR: No valid host was found.',
    });
    expect(serverOutcome(server('SHUTOFF'), 'ACTIVE')).toEqual({ failed: 'server s is SHUTOFF, not ACTIVE' });
    expect(serverOutcome(null, 'ACTIVE')).toEqual({ failed: 'server vanished' });
  });

  it('volumes and snapshots', () => {
    const vol = (status: string) => volumeSchema.parse({ id: 'v', status, size: 1 });
    expect(volumeOutcome(vol('available'))).toBe('ready');
    expect(volumeOutcome(vol('in-use'), 'in-use')).toBe('ready');
    expect(volumeOutcome(vol('creating'))).toBe('pending');
    expect(volumeOutcome(vol('downloading'))).toBe('pending');
    expect(volumeOutcome(vol('error'))).toEqual({ failed: 'volume v is error' });
    expect(volumeOutcome(vol('error_deleting'))).toEqual({ failed: 'volume v is error_deleting' });
    expect(volumeOutcome(null)).toEqual({ failed: 'volume vanished' });
    const snap = (status: string) => snapshotSchema.parse({ id: 'sn', status, size: 1, volume_id: 'v' });
    expect(snapshotOutcome(snap('available'))).toBe('ready');
    expect(snapshotOutcome(snap('creating'))).toBe('pending');
    expect(snapshotOutcome(snap('error'))).toEqual({ failed: 'volume snapshot sn is error' });
    expect(snapshotOutcome(snap('error_deleting'))).toEqual({ failed: 'volume snapshot sn is error_deleting' });
    expect(snapshotOutcome(null)).toEqual({ failed: 'volume snapshot vanished' });
  });

  it('reads the cinder snapshot ids of a volume-backed snapshot image', () => {
    const bdm = JSON.stringify([{ source_type: 'snapshot', destination_type: 'volume', snapshot_id: 'snap-1', boot_index: 0, volume_size: 1 }]);
    expect(imageVolumeSnapshotIds(image('active', { block_device_mapping: bdm, bdm_v2: 'True', size: 0 }))).toEqual(['snap-1']);
    expect(imageVolumeSnapshotIds(image('active'))).toEqual([]);
    expect(imageVolumeSnapshotIds(image('active', { block_device_mapping: 'not json' }))).toEqual([]);
  });
});
