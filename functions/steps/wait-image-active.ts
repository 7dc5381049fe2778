// Poll the snapshot image until Glance says active. killed / deleted / vanished fail with
// the reason; the deadline (config.snapshotWaitMs from createImage) means it never waits forever.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { orNull } from '../../shared/openstack/or-null';
import { imageOutcome, isFailed } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../../shared/workflows/deps';
import { minutes, overdue, permanent, scaledRetry, scaledWait } from '../../shared/workflows/step-support';

const input = z.looseObject({ cloud: z.string(), imageId: z.string(), imageRequestedAt: z.number() });

export function waitImageActiveStep(deps: WorkflowDeps) {
  return defineStep({
    name: 'wait-image-active',
    input,
    retry: scaledRetry(deps, { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 10 }),
    wait: scaledWait(deps, { baseMs: 2_000, maxMs: 60_000 }),
    timeout: 60_000,
    async run(ctx) {
      const { cloud, imageId, imageRequestedAt } = ctx.input;
      const os = deps.openstack(cloud, ctx);
      const image = await orNull(os.image.get(imageId));
      const outcome = imageOutcome(image);
      if (outcome === 'ready') return done({ imageSize: image?.size ?? null });
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
