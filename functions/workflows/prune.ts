// prune: resolve server → select what the policy's retention removes → delete it (with
// the Cinder snapshots of volume-backed images). Only images snapflow made for this
// server and policy are ever considered. Its dry run is a read-only job: saying what
// would go needs the cloud's lists.
import { workflow } from '../../shared/engine/typed-workflow';
import { deleteImagesStep } from '../steps/delete-images';
import { resolveServerStep } from '../steps/resolve-server';
import { selectPrunableStep } from '../steps/select-prunable';
import type { WorkflowDeps } from './deps';
import { pruneParamsSchema, pruneRequestSchema, serverLockKey, serverTargets } from './params';

export function pruneWorkflow(deps: WorkflowDeps) {
  return workflow('prune', pruneParamsSchema, deps.config)
    .step(resolveServerStep(deps))
    .step(selectPrunableStep(deps))
    .step(deleteImagesStep(deps))
    .build({
      request: pruneRequestSchema,
      dryRun: 'job',
      lockKey: serverLockKey,
      targets: serverTargets,
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        const plan = c.prunePlan ?? { toDelete: [], kept: [] };
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
