// Destructive half of retention: delete what select-prunable chose, each image after the
// Cinder snapshots it references. Every delete is idempotent (404 = already gone), so a
// retry or a reclaim after a crash simply walks the list again. A dry run touches nothing.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { OpenStackError } from '../../shared/openstack/errors';
import { deleteImageWithSnapshots } from '../workflows/delete-image';
import type { WorkflowDeps } from '../workflows/deps';
import { permanent, scaledRetry, scaledWait } from '../workflows/step-support';

const decided = z.looseObject({ id: z.string(), name: z.string().nullable(), reason: z.string(), volumeSnapshotIds: z.array(z.string()) });
const input = z.looseObject({
  cloud: z.string(),
  dryRun: z.boolean().default(false),
  prunePlan: z
    .object({ toDelete: z.array(decided), kept: z.array(decided) })
    .nullable()
    .optional(),
});

export function deleteImagesStep(deps: WorkflowDeps) {
  return defineStep({
    name: 'delete-images',
    input,
    mutating: true,
    retry: scaledRetry(deps, { baseMs: 3_000, maxMs: 120_000, factor: 2, maxAttempts: 10 }),
    wait: scaledWait(deps, { baseMs: 2_000, maxMs: 30_000 }),
    timeout: 600_000,
    async run(ctx) {
      const plan = ctx.input.prunePlan;
      if (!plan || plan.toDelete.length === 0 || ctx.input.dryRun) return done({ pruneDeleted: [] });
      const os = deps.openstack(ctx.input.cloud, ctx);
      const deleted: string[] = [];
      const failures: string[] = [];
      for (const [n, image] of plan.toDelete.entries()) {
        await ctx.heartbeat({ phase: 'deleting snapshots', done: n, total: plan.toDelete.length });
        try {
          const r = await deleteImageWithSnapshots(os, image.id, image.volumeSnapshotIds);
          if (r.kind === 'busy') return wait({ reason: r.reason });
          deleted.push(image.id);
        } catch (err) {
          // Transient errors retry the whole (idempotent) walk; a refusal is reported at the end.
          if (!(err instanceof OpenStackError) || err.retryable) throw err;
          failures.push(`${image.id}: ${err.message}`);
        }
      }
      if (failures.length) return fail(permanent(`could not delete ${failures.length} image(s): ${failures.join('; ')}`, { code: 'prune_failed' }));
      return done({ pruneDeleted: deleted });
    },
  });
}
