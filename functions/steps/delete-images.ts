// Destructive half of retention: delete what select-prunable chose, each image after the
// Cinder snapshots it references. Every delete is idempotent (404 = already gone), so a
// retry or a reclaim after a crash simply walks the list again. Not run in a dry run.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { deleteImagesOrWait } from '../workflows/delete-image';
import type { WorkflowDeps } from '../workflows/deps';
import { retentionPlan } from '../workflows/retention';
import { onCloud, POLL, permanent, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), prunePlan: retentionPlan.nullable().optional() });
const output = z.object({ pruneDeleted: z.array(z.string()) });

export function deleteImagesStep(deps: WorkflowDeps) {
  return step({
    name: 'delete-images',
    input,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.busy,
    timeout: 600_000,
    async run(ctx) {
      const plan = ctx.input.prunePlan;
      if (!plan || plan.toDelete.length === 0) return done({ pruneDeleted: [] });
      const walk = await deleteImagesOrWait(onCloud(deps, ctx), plan.toDelete, {
        refusals: 'collect',
        onEach: (n, total) => ctx.heartbeat({ phase: 'deleting snapshots', done: n, total }),
      });
      if (walk.kind === 'busy') return wait({ reason: walk.reason });
      if (walk.refused.length) {
        return fail(permanent(`could not delete ${walk.refused.length} image(s): ${walk.refused.join('; ')}`, { code: 'prune_failed' }));
      }
      return done({ pruneDeleted: walk.deleted });
    },
  });
}
