// The images a clone job kept (keepImages, or left by a clone that failed while deleting
// them): found by the clone job's snapflow_job tag in its source and target cloud entries,
// so an attempt after a crash finds what is left. Each goes with the Cinder snapshots it
// references; one Cinder is still creating is waited for.
import { z } from 'zod';
import { done, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { deleteJobTaggedImages } from '../workflows/delete-image';
import type { WorkflowDeps } from '../workflows/deps';
import { POLL, RETRY } from '../workflows/step-support';

const input = z.object({ cloneJobId: z.string().nullable(), cloneClouds: z.array(z.string()) });
const output = z.object({ deletedImages: z.array(z.string()) });

export function deleteCloneImagesStep(deps: WorkflowDeps) {
  return step({
    name: 'delete-clone-images',
    input,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.busy,
    timeout: 300_000,
    async run(ctx) {
      const { cloneJobId, cloneClouds } = ctx.input;
      if (cloneJobId === null) return done({ deletedImages: [] });
      const clients = [...new Set(cloneClouds)].map((cloud) => deps.openstack(cloud, ctx));
      const walk = await deleteJobTaggedImages(clients, cloneJobId);
      if (walk.kind === 'busy') return wait({ reason: walk.reason });
      return done({ deletedImages: walk.deleted });
    },
  });
}
