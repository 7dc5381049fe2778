// rollback: resolve server → resolve image (id, name, latest, or what a snapshot job made) → rebuild (2.93 for a
// volume-backed server) → wait ACTIVE (SHUTOFF if it was stopped, as Nova keeps it) →
// verify the server runs the image. Destructive: `confirm: true` is required by the params.
// No cleanup: a rebuild cannot be undone by snapflow (the old disk is gone).
import { workflow } from '../../shared/engine/typed-workflow';
import { rebuildServerStep } from '../steps/rebuild-server';
import { resolveImageStep } from '../steps/resolve-image';
import { resolveServerStep } from '../steps/resolve-server';
import { verifyServerImageStep } from '../steps/verify-server-image';
import { waitServerStatusStep } from '../steps/wait-server-status';
import type { WorkflowDeps } from './deps';
import { rollbackParamsSchema, rollbackRequestSchema, serverLockKey, serverTargets } from './params';

// Nova rebuilds servers in these states (vm_state active, stopped, error).
const REBUILD_FROM = ['ACTIVE', 'SHUTOFF', 'ERROR'];

export function rollbackWorkflow(deps: WorkflowDeps) {
  return workflow('rollback', rollbackParamsSchema, deps.config)
    .step(resolveServerStep(deps, { accept: REBUILD_FROM }))
    .step(resolveImageStep(deps))
    .step(rebuildServerStep(deps))
    .step(
      waitServerStatusStep(deps, {
        name: 'wait-rebuilt',
        want: (c) => (c.wasStopped ? 'SHUTOFF' : 'ACTIVE'),
        since: (c) => c.rebuildRequestedAt,
        // Re-imaging a root volume copies the whole image: give it the snapshot deadline.
        limitMs: (c) => (c.volumeBacked ? Math.max(deps.config.snapshotWaitMs, deps.config.serverWaitMs) : deps.config.serverWaitMs),
      }),
    )
    .step(verifyServerImageStep(deps))
    .build({
      request: rollbackRequestSchema,
      lockKey: serverLockKey,
      targets: serverTargets,
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        return {
          ...(p.dryRun ? { dryRun: true } : {}),
          serverId: c.serverId,
          serverName: c.serverName,
          ...(p.imageFromJob !== undefined ? { imageFromJob: p.imageFromJob } : {}),
          imageId: c.imageId,
          imageName: c.imageName,
          volumeBacked: c.volumeBacked,
          ...(p.dryRun ? {} : { status: c.finalStatus, verifiedBy: c.verifiedBy }),
        };
      },
    });
}
