// Delete every image this job made (the intermediate snapshot in the source cloud, the
// cleaned image in the target), found by their snapflow_job tag, so an attempt after a
// crash or a cleanup after a cancel finds them without the context. Used at the end of a
// clone, move or rename (unless keepImages) and in their cleanup.
import { z } from 'zod';
import { done, wait } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import { deleteJobTaggedImages } from '../workflows/delete-image';
import type { WorkflowDeps } from '../workflows/deps';
import { POLL, RETRY } from '../workflows/step-support';

const output = z.object({ deletedImages: z.array(z.string()) });

export function deleteJobImagesStep<C extends Fields>(
  deps: WorkflowDeps,
  clouds: (context: C) => string[],
  name = 'delete-images',
): Step<C, z.infer<typeof output>> {
  return step({
    name,
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.busy,
    timeout: 300_000,
    async run(ctx) {
      const clients = [...new Set(clouds(ctx.input))].map((cloud) => deps.openstack(cloud, ctx));
      const walk = await deleteJobTaggedImages(clients, ctx.job.id);
      if (walk.kind === 'busy') return wait({ reason: walk.reason });
      return done({ deletedImages: walk.deleted });
    },
  });
}
