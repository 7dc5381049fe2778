// A boot-from-volume snapshot is an empty Glance image whose block_device_mapping points
// at Cinder snapshots: the snapshot is only usable once every one of them is available.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, snapshotOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, overdue, permanent, scaledRetry, scaledWait } from '../workflows/step-support';

const input = z.looseObject({
  cloud: z.string(),
  imageId: z.string(),
  imageRequestedAt: z.number(),
  volumeBacked: z.boolean(),
  /** The active image's block_device_mapping snapshots, as wait-image-active read them (absent in older jobs). */
  activeImageVolumeSnapshotIds: z.array(z.string()).optional(),
});

export function waitVolumeSnapshotsStep(deps: WorkflowDeps) {
  return defineStep({
    name: 'wait-volume-snapshots',
    input,
    retry: scaledRetry(deps, { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 10 }),
    wait: scaledWait(deps, { baseMs: 2_000, maxMs: 60_000 }),
    timeout: 120_000,
    async run(ctx) {
      const { cloud, imageId, imageRequestedAt, activeImageVolumeSnapshotIds: known } = ctx.input;
      const os = deps.openstack(cloud, ctx);
      let ids = known;
      if (ids === undefined) {
        const image = await orNull(os.image.get(imageId));
        if (!image) return fail(permanent(`snapshot failed: image ${imageId} vanished`, { code: 'image_failed' }));
        ids = imageVolumeSnapshotIds(image);
      }
      if (ids.length === 0) {
        if (ctx.input.volumeBacked) ctx.log.warn('volume-backed snapshot without block_device_mapping snapshots', { imageId });
        return done({ volumeSnapshotIds: [], imageReady: true });
      }
      const pending: string[] = [];
      for (const id of ids) {
        const snap = await orNull(os.volume.getSnapshot(id));
        const outcome = snapshotOutcome(snap);
        if (isFailed(outcome)) return fail(permanent(`snapshot failed: ${outcome.failed}`, { code: 'volume_snapshot_failed' }));
        if (outcome === 'pending') pending.push(id);
      }
      if (pending.length === 0) return done({ volumeSnapshotIds: ids, imageReady: true });
      const limit = deps.config.snapshotWaitMs;
      if (overdue(deps, imageRequestedAt, limit)) {
        return fail(permanent(`volume snapshots ${pending.join(', ')} not available after ${minutes(limit)}`, { code: 'volume_snapshot_timeout' }));
      }
      await ctx.heartbeat({ phase: 'volume snapshots', done: ids.length - pending.length, total: ids.length });
      return wait({ reason: `${pending.length} of ${ids.length} volume snapshots creating` });
    },
  });
}
