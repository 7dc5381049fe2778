// Read-only half of retention: list the policy's snapflow snapshots of this server and
// the images servers run, then decide (functions/workflows/retention.ts). The workflow
// places it only when a rule is given (`keep` and/or `maxAgeDays`).
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { serverImageId } from '../../shared/openstack/compute-schemas';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { planRetention, retentionPlan } from '../workflows/retention';
import { createdAtMs, onCloud, RETRY } from '../workflows/step-support';
import { findServerSnapshots } from '../workflows/tags';

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  policy: z.string(),
  keep: z.number().optional(),
  maxAgeDays: z.number().optional(),
  /** Set when retention runs inside a snapshot job: the snapshot it just made. */
  imageId: z.string().optional(),
});
const output = z.object({ prunePlan: retentionPlan.nullable() });

export function selectPrunableStep(deps: WorkflowDeps) {
  return step({
    name: 'select-prunable',
    input,
    output,
    readOnly: true,
    retry: RETRY.read,
    timeout: 120_000,
    async run(ctx) {
      const { serverId, policy, keep, maxAgeDays } = ctx.input;
      if (keep === undefined && maxAgeDays === undefined) return done({ prunePlan: null });
      const os = onCloud(deps, ctx);
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
        images.map((i) => ({ id: i.id, name: i.name ?? null, status: i.status, createdAt: createdAtMs(i), volumeSnapshotIds: imageVolumeSnapshotIds(i) })),
        { keep, maxAgeDays },
        protect,
        deps.now(),
      );
      return done({ prunePlan: plan });
    },
  });
}
