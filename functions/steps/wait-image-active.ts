// Poll the snapshot image until Glance says active. killed / deleted / vanished fail with
// the reason; the deadline (config.snapshotWaitMs from createImage) means it never waits forever.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { imageOutcome, isFailed } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { DurationHints, hintedPollAt } from '../workflows/snapshot-timing';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), imageId: z.string(), imageRequestedAt: z.number(), volumeBacked: z.boolean().optional() });
const output = z.object({ imageSize: z.number().nullable(), activeImageVolumeSnapshotIds: z.array(z.string()) });

export function waitImageActiveStep(deps: WorkflowDeps) {
  // per cloud: how long an image-backed snapshot took to become active
  const hints = new DurationHints();
  return step({
    name: 'wait-image-active',
    input,
    output,
    retry: RETRY.poll,
    // Image-backed snapshots are active about a second after createImage on the lab: the
    // first poll comes 1 s after it, the next ones 3, 7, 15 … s after it, and closely around
    // the time this cloud's snapshots took before (snapshot-timing.ts; bench/api-economy.ts
    // measures the calls this saves, bench/nightly.ts the lateness).
    wait: POLL.image,
    timeout: 60_000,
    async run(ctx) {
      const { imageId, imageRequestedAt, volumeBacked } = ctx.input;
      // An image-backed snapshot uploads after createImage returns: a read at once only ever
      // says "queued" (a volume-backed one is created active inside the call, so read it).
      const base = ctx.scaled(POLL.image.baseMs);
      const hinted = volumeBacked === false ? hints.get(ctx.input.cloud) : undefined;
      const nextPoll = () => hintedPollAt(imageRequestedAt, deps.now(), base, ctx.scaled(POLL.image.maxMs), hinted);
      if (volumeBacked === false && deps.now() - imageRequestedAt < base) {
        return wait({ until: nextPoll(), reason: `image ${imageId} requested, first check ${base} ms after createImage` });
      }
      const image = await orNull(onCloud(deps, ctx).image.get(imageId));
      const outcome = imageOutcome(image);
      // Its block_device_mapping is final once active: wait-volume-snapshots needs no new read.
      if (outcome === 'ready') {
        if (volumeBacked === false) hints.record(ctx.input.cloud, deps.now() - imageRequestedAt);
        return done({ imageSize: image?.size ?? null, activeImageVolumeSnapshotIds: image ? imageVolumeSnapshotIds(image) : [] });
      }
      if (isFailed(outcome)) return fail(permanent(`snapshot failed: ${outcome.failed}`, { code: 'image_failed' }));
      const limit = deps.config.snapshotWaitMs;
      if (overdue(deps, imageRequestedAt, limit)) {
        return fail(permanent(`image ${imageId} still ${image?.status} after ${minutes(limit)}`, { code: 'image_timeout' }));
      }
      await ctx.heartbeat({ phase: `image ${image?.status ?? 'pending'}` });
      return wait({ until: nextPoll(), reason: `image ${imageId} ${image?.status ?? 'pending'}` });
    },
  });
}
