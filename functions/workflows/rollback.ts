// rollback: resolve server → resolve image (id, name, latest, or what a snapshot job made) →
// [check 2.93 for a volume-backed server] → [export a boot-from-volume snapshot to a real
// image: the chain of volume-export.ts] → rebuild (2.93 for a volume-backed server) → wait ACTIVE (SHUTOFF if it
// was stopped, as Nova keeps it) → verify the server runs the image → [delete the export
// image unless keepImages]. Destructive: `confirm: true` is required by the params.
// A rebuild cannot be undone by snapflow (the old disk is gone); the cleanup after a cancel or
// failure only removes what the export made, once a rebuild reading it has settled.
// Why not Cinder's revert-to-snapshot (3.40), which would skip the export: it only reverts an
// `available` volume to its latest snapshot, and a root volume never is one. Tried on the lab
// (Cinder 21): in-use under a SHUTOFF server, at 3.40 and 3.70, and `reserved` under a
// SHELVED_OFFLOADED one, all 409 "Volume's status must be 'available'"; Nova refuses to detach
// a root volume (400 "Cannot detach a root device volume").

import { workflow } from '../../shared/engine/typed-workflow';
import { checkVolumeRebuildStep } from '../steps/check-volume-rebuild';
import { cleanupWaitRebuildStep } from '../steps/cleanup-wait-rebuild';
import { exportImageCleanupStep } from '../steps/export-image-cleanup';
import { rebuildServerStep } from '../steps/rebuild-server';
import { resolveImageStep } from '../steps/resolve-image';
import { resolveServerStep } from '../steps/resolve-server';
import { verifyServerImageStep } from '../steps/verify-server-image';
import { waitServerStatusStep } from '../steps/wait-server-status';
import type { WorkflowDeps } from './deps';
import { rollbackParamsSchema, rollbackRequestSchema, serverLockKey, serverTargets } from './params';
import { placeVolumeExport, placeVolumeExportCleanup } from './volume-export';

// Nova rebuilds servers in these states (vm_state active, stopped, error).
const REBUILD_FROM = ['ACTIVE', 'SHUTOFF', 'ERROR'];

export function rollbackWorkflow(deps: WorkflowDeps) {
  const resolved = workflow('rollback', rollbackParamsSchema, deps.config)
    .step(resolveServerStep(deps, { accept: REBUILD_FROM }))
    .step(resolveImageStep(deps))
    .maybe(checkVolumeRebuildStep(deps), { skipIf: (c) => !c.volumeBacked });
  const rebuilt = placeVolumeExport(resolved, deps, { skipIf: (c) => !c.imageInCinder })
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
    .maybe(exportImageCleanupStep(deps, 'delete-export-image'), { when: (p) => !p.keepImages, skipIf: (c) => !c.exportImageId })
    // Before the export cleanup: Cinder may still be reading the image into the root volume.
    .cleanup(cleanupWaitRebuildStep(deps), { requires: ['serverId', 'rebuildRequestedAt'] });
  return placeVolumeExportCleanup(rebuilt, deps).build({
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
        ...(c.exportImageId ? { exportImageId: c.exportImageId, exportImageKept: p.keepImages } : {}),
        ...(p.dryRun ? {} : { status: c.finalStatus, verifiedBy: c.verifiedBy }),
      };
    },
  });
}
