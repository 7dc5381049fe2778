import { type Server, taskState } from './compute-schemas';
import type { Image } from './image-schemas';
import type { Volume, VolumeSnapshot } from './volume';

// Pure classifiers the steps use to decide done / wait / fail. They never sleep or call
// anything. `null` means the resource is gone (a 404): that is a failure, "vanished".

export type Outcome = 'ready' | 'pending' | { failed: string };

export function isFailed(o: Outcome): o is { failed: string } {
  return typeof o === 'object';
}

const IMAGE_PENDING = new Set(['queued', 'saving', 'importing', 'uploading']);
const IMAGE_FAILED = new Set(['killed', 'deleted', 'pending_delete', 'deactivated']);

export function imageOutcome(image: Image | null): Outcome {
  if (!image) return { failed: 'image vanished' };
  if (image.status === 'active') return 'ready';
  if (IMAGE_PENDING.has(image.status)) return 'pending';
  if (IMAGE_FAILED.has(image.status)) return { failed: `image ${image.id} is ${image.status}` };
  return { failed: `image ${image.id} has unknown status ${image.status}` };
}

export function serverOutcome(server: Server | null, want: 'ACTIVE' | 'SHUTOFF'): Outcome {
  if (!server) return { failed: 'server vanished' };
  if (server.status === 'ERROR') {
    const fault = server.fault?.message;
    return { failed: `server ${server.id} is in ERROR${fault ? `: ${fault}` : ''}` };
  }
  if (server.status === 'DELETED' || server.status === 'SOFT_DELETED') return { failed: `server ${server.id} is ${server.status}` };
  // A status can already read ACTIVE while a task (e.g. image_uploading) still runs.
  if (taskState(server) !== null) return 'pending';
  if (server.status === want) return 'ready';
  const transitional = ['BUILD', 'REBUILD', 'REBOOT', 'HARD_REBOOT', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING', 'PASSWORD'];
  if (transitional.includes(server.status)) return 'pending';
  return { failed: `server ${server.id} is ${server.status}, not ${want}` };
}

const VOLUME_PENDING = new Set([
  'creating',
  'downloading',
  'uploading',
  'attaching',
  'detaching',
  'extending',
  'reserved',
  'backing-up',
  'restoring-backup',
  'retyping',
  'maintenance',
  'awaiting-transfer',
]);

/** Ready when `available` (or `in-use` if the caller accepts an attached volume). */
export function volumeOutcome(volume: Volume | null, want: 'available' | 'in-use' = 'available'): Outcome {
  if (!volume) return { failed: 'volume vanished' };
  if (volume.status === want) return 'ready';
  if (VOLUME_PENDING.has(volume.status)) return 'pending';
  if (volume.status.startsWith('error')) return { failed: `volume ${volume.id} is ${volume.status}` };
  if (volume.status === 'deleting') return { failed: `volume ${volume.id} is being deleted` };
  return { failed: `volume ${volume.id} is ${volume.status}, not ${want}` };
}

export function snapshotOutcome(snapshot: VolumeSnapshot | null): Outcome {
  if (!snapshot) return { failed: 'volume snapshot vanished' };
  if (snapshot.status === 'available') return 'ready';
  if (snapshot.status === 'creating' || snapshot.status === 'backing-up' || snapshot.status === 'restoring') return 'pending';
  if (snapshot.status.startsWith('error')) return { failed: `volume snapshot ${snapshot.id} is ${snapshot.status}` };
  if (snapshot.status === 'deleting' || snapshot.status === 'deleted') return { failed: `volume snapshot ${snapshot.id} is ${snapshot.status}` };
  return { failed: `volume snapshot ${snapshot.id} has unknown status ${snapshot.status}` };
}
