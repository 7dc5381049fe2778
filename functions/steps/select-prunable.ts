// Read-only half of retention: list the policy's snapflow snapshots of this server and
// the images servers run, then decide (functions/workflows/retention.ts). Skipped when no
// rule is given (a snapshot job without `keep`).
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done } from '../../shared/engine/results';
import { serverImageId } from '../../shared/openstack/compute-schemas';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { planRetention } from '../workflows/retention';
import { createdAtMs, scaledRetry } from '../workflows/step-support';
import { findServerSnapshots } from '../workflows/tags';

const input = z.looseObject({
  cloud: z.string(),
  serverId: z.string(),
  policy: z.string(),
  keep: z.number().optional(),
  maxAgeDays: z.number().optional(),
  /** Set when retention runs inside a snapshot job: the snapshot it just made. */
  imageId: z.string().optional(),
});

export function selectPrunableStep(deps: WorkflowDeps) {
  return defineStep({
    name: 'select-prunable',
    input,
    retry: scaledRetry(deps, { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 8 }),
    timeout: 120_000,
    async run(ctx) {
      const { cloud, serverId, policy, keep, maxAgeDays } = ctx.input;
      if (keep === undefined && maxAgeDays === undefined) return done({ prunePlan: null });
      const os = deps.openstack(cloud, ctx);
      const images = await findServerSnapshots(os, serverId, policy);
      // Every server of the project, not only this one: another server may have been built from a snapshot.
      const servers = await os.compute.listAllServers();
      const protect = new Map<string, string>();
      for (const s of servers) {
        const id = serverImageId(s);
        if (id !== undefined) protect.set(id, `server ${s.id} runs this image`);
      }
      if (ctx.input.imageId) protect.set(ctx.input.imageId, 'made by this job');
      const plan = planRetention(
        images.map((i) => ({
          id: i.id,
          name: i.name ?? null,
          status: i.status,
          createdAt: createdAtMs(i),
          volumeSnapshotIds: imageVolumeSnapshotIds(i),
        })),
        { keep, maxAgeDays },
        protect,
        deps.now(),
      );
      return done({ prunePlan: plan });
    },
  });
}
