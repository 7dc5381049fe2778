// discard: delete a server a clone made, and the images that clone kept: resolve (the server
// must be a clone job's new server, tagged with that job; a clone still running is waited
// for) → delete the server → wait until Nova no longer has it → delete the clone's images.
// What ends a CI run's "clone a fresh VM for the run": nothing to delete (already gone, or
// the clone failed and left nothing) is a success that says so. Destructive: `confirm: true`.
// Nothing to undo on a cancel: what is deleted stays deleted, what is not stays.
import { workflow } from '../../shared/engine/typed-workflow';
import { deleteCloneImagesStep } from '../steps/delete-clone-images';
import { deleteCloneServerStep } from '../steps/delete-clone-server';
import { resolveDiscardStep } from '../steps/resolve-discard';
import { waitServerGoneStep } from '../steps/wait-server-gone';
import type { WorkflowDeps } from './deps';
import { discardParamsSchema, discardRequestSchema, serverLockKey, serverTargets } from './params';

const noServer = (c: { discardServerId: string | null }) => c.discardServerId === null;

export function discardWorkflow(deps: WorkflowDeps) {
  return workflow('discard', discardParamsSchema, deps.config)
    .step(resolveDiscardStep(deps))
    .maybe(deleteCloneServerStep(deps), { skipIf: noServer })
    .maybe(
      waitServerGoneStep(
        deps,
        (c: { cloud: string; discardServerId: string | null; discardRequestedAt?: number }) => ({
          cloud: c.cloud,
          serverId: c.discardServerId ?? '',
          since: c.discardRequestedAt ?? deps.now(),
        }),
        'wait-server-gone',
      ),
      { skipIf: noServer },
    )
    .maybe(deleteCloneImagesStep(deps), { skipIf: (c) => c.cloneJobId === null })
    .build({
      request: discardRequestSchema,
      dryRun: 'job',
      lockKey: serverLockKey,
      targets: serverTargets,
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        const server = c.discardServerId !== null ? { id: c.discardServerId, name: c.discardServerName, cloud: p.cloud } : null;
        return {
          ...(p.dryRun ? { dryRun: true } : {}),
          cloneJobId: c.cloneJobId,
          cloneState: c.cloneState,
          server,
          ...(p.dryRun
            ? { wouldDelete: { server: server !== null, images: c.cloneImageIds } }
            : { deleted: server !== null, imagesDeleted: c.deletedImages ?? [], ...(c.sourceGoneAt !== undefined ? { goneAt: c.sourceGoneAt } : {}) }),
          ...(c.discardNote !== null ? { reason: c.discardNote } : {}),
        };
      },
    });
}
