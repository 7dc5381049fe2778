// Export chain, 5: the uploaded image until Glance says active. When the upload fails Cinder
// deletes the image (or Glance kills it): vanished / killed fail with the reason, and the
// deadline (config.snapshotWaitMs from the upload) bounds the wait.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import { imageOutcome, isFailed } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { produced } from '../workflows/export-lookup';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const NAME = 'wait-export-image';
const input = z.object({ cloud: z.string(), exportImageId: z.string().optional(), exportImageRequestedAt: z.number().optional() });
const output = z.object({ exportImageSize: z.number().nullable(), exportImageActiveAt: z.number() });

export function waitExportImageStep(deps: WorkflowDeps) {
  return step({
    name: NAME,
    input,
    output,
    retry: RETRY.poll,
    wait: POLL.image,
    timeout: 60_000,
    async run(ctx) {
      const imageId = produced(ctx.input.exportImageId, 'exportImageId', NAME);
      const since = produced(ctx.input.exportImageRequestedAt, 'exportImageRequestedAt', NAME);
      const image = await orNull(onCloud(deps, ctx).image.get(imageId));
      const outcome = imageOutcome(image);
      if (outcome === 'ready') return done({ exportImageSize: image?.size ?? null, exportImageActiveAt: deps.now() });
      if (isFailed(outcome)) {
        return fail(
          permanent(`export upload failed: ${image ? outcome.failed : `image ${imageId} vanished (Cinder deletes it when the upload fails)`}`, {
            code: 'export_failed',
          }),
        );
      }
      const limit = deps.config.snapshotWaitMs;
      if (overdue(deps, since, limit)) {
        return fail(permanent(`export image ${imageId} still ${image?.status} after ${minutes(limit)}`, { code: 'export_timeout' }));
      }
      await ctx.heartbeat({ phase: `export image ${image?.status ?? 'pending'}` });
      return wait({ reason: `export image ${imageId} ${image?.status ?? 'pending'}` });
    },
  });
}
