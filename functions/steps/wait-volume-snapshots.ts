// A boot-from-volume snapshot is an empty Glance image whose block_device_mapping points
// at Cinder snapshots: the snapshot is only usable once every one of them is available.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, snapshotOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const input = z.object({
  cloud: z.string(),
  imageId: z.string(),
  imageRequestedAt: z.number(),
  volumeBacked: z.boolean(),
  /** The active image's block_device_mapping snapshots, as wait-image-active read them (absent in older jobs). */
  activeImageVolumeSnapshotIds: z.array(z.string()).optional(),
});
const output = z.object({ volumeSnapshotIds: z.array(z.string()), imageReady: z.literal(true) });

export function waitVolumeSnapshotsStep(deps: WorkflowDeps) {
  return step({
    name: 'wait-volume-snapshots',
    input,
    output,
    retry: RETRY.poll,
    wait: POLL.volume,
    timeout: 120_000,
    async run(ctx) {
      const { imageId, imageRequestedAt, activeImageVolumeSnapshotIds: known } = ctx.input;
      const os = onCloud(deps, ctx);
      let ids = known;
      if (ids === undefined) {
        const image = await orNull(os.image.get(imageId));
        if (!image) return fail(permanent(`snapshot failed: image ${imageId} vanished`, { code: 'image_failed' }));
        ids = imageVolumeSnapshotIds(image);
      }
      if (ids.length === 0) {
        if (ctx.input.volumeBacked) ctx.log.warn('volume-backed snapshot without block_device_mapping snapshots', { imageId });
        return done({ volumeSnapshotIds: [], imageReady: true as const });
      }
      const pending: string[] = [];
      for (const id of ids) {
        const outcome = snapshotOutcome(await orNull(os.volume.getSnapshot(id)));
        if (isFailed(outcome)) return fail(permanent(`snapshot failed: ${outcome.failed}`, { code: 'volume_snapshot_failed' }));
        if (outcome === 'pending') pending.push(id);
      }
      if (pending.length === 0) return done({ volumeSnapshotIds: ids, imageReady: true as const });
      const limit = deps.config.snapshotWaitMs;
      if (overdue(deps, imageRequestedAt, limit)) {
        return fail(permanent(`volume snapshots ${pending.join(', ')} not available after ${minutes(limit)}`, { code: 'volume_snapshot_timeout' }));
      }
      await ctx.heartbeat({ phase: 'volume snapshots', done: ids.length - pending.length, total: ids.length });
      return wait({ reason: `${pending.length} of ${ids.length} volume snapshots creating` });
    },
  });
}
