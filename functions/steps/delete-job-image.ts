// Cleanup of a snapshot job that was cancelled or failed after createImage: delete the
// half-made image and the Cinder snapshots it references. A complete image (imageReady)
// is kept: it is a good snapshot, and a failure later on (start, hook) must not destroy it.
// The image is found by its snapflow_job tag too, so a crash right after createImage (no
// imageId in the context yet) leaves nothing behind.
import { z } from 'zod';
import { done, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import { deleteListedImages } from '../workflows/delete-image';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, POLL, RETRY } from '../workflows/step-support';
import { findJobImages } from '../workflows/tags';

const input = z.object({ cloud: z.string(), imageId: z.string().optional(), imageReady: z.boolean().default(false) });
const output = z.object({ cleanup: z.string().optional(), cleanupDeletedImages: z.array(z.string()).optional() });

export function deleteJobImageStep(deps: WorkflowDeps) {
  return step({
    name: 'cleanup-delete-image',
    input,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.busy,
    timeout: 300_000,
    async run(ctx) {
      if (ctx.input.imageReady) return done({ cleanup: 'image kept (complete)' });
      const os = onCloud(deps, ctx);
      const images = await findJobImages(os, ctx.job.id);
      if (ctx.input.imageId && !images.some((i) => i.id === ctx.input.imageId)) {
        const byId = await orNull(os.image.get(ctx.input.imageId));
        if (byId) images.push(byId);
      }
      const walk = await deleteListedImages(os, images);
      if (walk.kind === 'busy') return wait({ reason: walk.reason });
      return done({ cleanupDeletedImages: walk.deleted });
    },
  });
}
