// Poll the snapshot image until Glance says active. killed / deleted / vanished fail with
// the reason; the deadline (config.snapshotWaitMs from createImage) means it never waits forever.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { imageOutcome, isFailed } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, overdue, permanent, scaledRetry, scaledWait } from '../workflows/step-support';

const input = z.looseObject({ cloud: z.string(), imageId: z.string(), imageRequestedAt: z.number(), volumeBacked: z.boolean().optional() });

export function waitImageActiveStep(deps: WorkflowDeps) {
  // Lab: image-backed snapshots are active 0.7-1.1 s after createImage; a 2 s first poll doubled
  // the wall time for one extra GET per job at most (polls at 1, 3, 7, 15 s… instead of 2, 6, 14 s…).
  const policy = scaledWait(deps, { baseMs: 1_000, maxMs: 60_000 });
  return defineStep({
    name: 'wait-image-active',
    input,
    retry: scaledRetry(deps, { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 10 }),
    wait: policy,
    timeout: 60_000,
    async run(ctx) {
      const { cloud, imageId, imageRequestedAt, volumeBacked } = ctx.input;
      // An image-backed snapshot uploads after createImage returns: a read at once only ever
      // says "queued" (a volume-backed one is created active inside the call, so read it).
      if (volumeBacked === false && deps.now() - imageRequestedAt < (policy.baseMs ?? 0)) {
        return wait({ reason: `image ${imageId} requested, first check in ${policy.baseMs} ms` });
      }
      const os = deps.openstack(cloud, ctx);
      const image = await orNull(os.image.get(imageId));
      const outcome = imageOutcome(image);
      // Its block_device_mapping is final once active: wait-volume-snapshots needs no new read.
      if (outcome === 'ready') return done({ imageSize: image?.size ?? null, activeImageVolumeSnapshotIds: image ? imageVolumeSnapshotIds(image) : [] });
      if (isFailed(outcome)) return fail(permanent(`snapshot failed: ${outcome.failed}`, { code: 'image_failed' }));
      const limit = deps.config.snapshotWaitMs;
      if (overdue(deps, imageRequestedAt, limit)) {
        return fail(permanent(`image ${imageId} still ${image?.status} after ${minutes(limit)}`, { code: 'image_timeout' }));
      }
      await ctx.heartbeat({ phase: `image ${image?.status ?? 'pending'}` });
      return wait({ reason: `image ${imageId} ${image?.status ?? 'pending'}` });
    },
  });
}
