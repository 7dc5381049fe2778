// prune: resolve server → select what the policy's retention removes → delete it (with
// the Cinder snapshots of volume-backed images). Only images snapflow made for this
// server and policy are ever considered; dryRun lists and touches nothing.

import { defineWorkflow, type WorkflowDefinition } from '../../shared/engine/define';
import { deleteImagesStep } from '../steps/delete-images';
import { resolveServerStep } from '../steps/resolve-server';
import { selectPrunableStep } from '../steps/select-prunable';
import type { WorkflowDeps } from './deps';
import { type PruneParams, pruneParamsSchema, serverLockKey } from './params';
import type { RetentionPlan } from './retention';

export function pruneWorkflow(deps: WorkflowDeps): WorkflowDefinition<PruneParams> {
  return defineWorkflow<PruneParams>({
    kind: 'prune',
    params: pruneParamsSchema,
    steps: [resolveServerStep(deps), selectPrunableStep(deps), deleteImagesStep(deps)],
    lockKey: serverLockKey,
    deadlineMs: deps.config.jobDeadlineMs,
    result(c, p) {
      const plan = (c.prunePlan as RetentionPlan | null) ?? { toDelete: [], kept: [] };
      const brief = (i: { id: string; name: string | null }) => ({ id: i.id, name: i.name });
      const reasons = Object.fromEntries([...plan.toDelete, ...plan.kept].map((i) => [i.id, i.reason]));
      return {
        serverId: c.serverId,
        policy: p.policy,
        dryRun: p.dryRun,
        deleted: p.dryRun ? [] : plan.toDelete.map(brief),
        ...(p.dryRun ? { wouldDelete: plan.toDelete.map(brief) } : {}),
        kept: plan.kept.map(brief),
        reasons,
      };
    },
  });
}
