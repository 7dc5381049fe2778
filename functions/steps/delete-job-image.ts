// Cleanup of a snapshot job that was cancelled or failed after createImage: delete the
// half-made image and the Cinder snapshots it references. A complete image (imageReady)
// is kept: it is a good snapshot, and a failure later on (start, hook) must not destroy it.
// The image is found by its snapflow_job tag too, so a crash right after createImage (no
// imageId in the context yet) leaves nothing behind.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, wait } from '../../shared/engine/results';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { deleteImageWithSnapshots } from '../workflows/delete-image';
import type { WorkflowDeps } from '../workflows/deps';
import { scaledRetry, scaledWait } from '../workflows/step-support';
import { findJobImages } from '../workflows/tags';

const input = z.looseObject({ cloud: z.string(), imageId: z.string().optional(), imageReady: z.boolean().default(false) });

export function deleteJobImageStep(deps: WorkflowDeps) {
  return defineStep({
    name: 'cleanup-delete-image',
    input,
    mutating: true,
    retry: scaledRetry(deps, { baseMs: 3_000, maxMs: 120_000, factor: 2, maxAttempts: 12 }),
    wait: scaledWait(deps, { baseMs: 2_000, maxMs: 30_000 }),
    timeout: 300_000,
    async run(ctx) {
      if (ctx.input.imageReady) return done({ cleanup: 'image kept (complete)' });
      const os = deps.openstack(ctx.input.cloud, ctx);
      const images = await findJobImages(os, ctx.job.id);
      if (ctx.input.imageId && !images.some((i) => i.id === ctx.input.imageId)) {
        const byId = await orNull(os.image.get(ctx.input.imageId));
        if (byId) images.push(byId);
      }
      const deleted: string[] = [];
      for (const image of images) {
        const r = await deleteImageWithSnapshots(os, image.id, imageVolumeSnapshotIds(image));
        if (r.kind === 'busy') return wait({ reason: r.reason });
        deleted.push(image.id);
      }
      return done({ cleanupDeletedImages: deleted });
    },
  });
}
