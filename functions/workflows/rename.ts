// rename: resolve the server → check the flavor and key are still there → stop → wait
// SHUTOFF → createImage → wait active → [volume-backed: export the root disk to an image,
// volume-export.ts] → runner: hostname cleaning with the new name → create the server with
// the new name and the old one's flavor, key, network, metadata → wait ACTIVE → delete the
// intermediate images (unless keepImages) → only then delete the old VM → wait until it is
// gone. The images go first because a volume-backed snapshot holds a Cinder snapshot of the
// old root volume, and Cinder will not delete a volume with snapshots: deleting the VM first
// would leave its delete_on_termination volume behind. `confirm: true` is required by the params.
// If anything fails before the new server is ACTIVE, the cleanup deletes the new server
// first, then the images, and starts the old VM last, so it comes back as it was.
import { workflow } from '../../shared/engine/typed-workflow';
import { cancelRunnerTasksStep } from '../steps/cancel-runner-tasks';
import { checkDestinationStep } from '../steps/check-destination';
import { cleanImageStep } from '../steps/clean-image';
import { createImageStep } from '../steps/create-image';
import { createServerStep } from '../steps/create-server';
import { deleteJobImagesStep } from '../steps/delete-job-images';
import { deleteNewServerStep } from '../steps/delete-new-server';
import { deleteServerStep } from '../steps/delete-server';
import { resolveSourceStep } from '../steps/resolve-source';
import { startServerStep } from '../steps/start-server';
import { stopServerStep } from '../steps/stop-server';
import { waitImageActiveStep } from '../steps/wait-image-active';
import { waitNewServerStep } from '../steps/wait-new-server';
import { waitServerGoneStep } from '../steps/wait-server-gone';
import { waitServerStatusStep } from '../steps/wait-server-status';
import type { WorkflowDeps } from './deps';
import { newServerTargets, renameParamsSchema, renameRequestSchema, serverLockKey } from './params';
import type { RunnerStepDeps } from './runner-step-deps';
import { placeVolumeExport, placeVolumeExportCleanup } from './volume-export';

type Done = { stoppedByJob?: boolean; sourceDeleteRequestedAt?: number; newServerActiveAt?: number };

export function renameWorkflow(deps: WorkflowDeps, runner: RunnerStepDeps) {
  const snapshotted = workflow('rename', renameParamsSchema, deps.config)
    .step(resolveSourceStep(deps, { accept: ['ACTIVE', 'SHUTOFF'] }))
    .step(checkDestinationStep(deps, (c) => ({ cloud: c.cloud, flavor: c.source.flavor, keyName: c.source.keyName })))
    .step(stopServerStep(deps))
    .maybe(waitServerStatusStep(deps, { name: 'wait-shutoff', want: 'SHUTOFF', since: (c) => c.stopRequestedAt }), { skipIf: (c) => !c.stoppedByJob })
    .step(createImageStep(deps, { policy: 'rename' }))
    .step(waitImageActiveStep(deps));
  const cleaned = placeVolumeExport(snapshotted, deps, { skipIf: (c) => !c.volumeBacked })
    .step(
      cleanImageStep(deps, runner, {
        spec: (c) => ({
          source: { cloud: c.cloud, imageId: c.exportImageId ?? c.imageId, server: c.server, serverId: c.serverId },
          clean: { mode: 'hostname', hostname: c.newName },
          target: { cloud: c.cloud, server: c.newName, name: `${c.newName}-renamed` },
        }),
      }),
    )
    .step(
      createServerStep(deps, (c) => ({
        cloud: c.cloud,
        name: c.newName,
        flavor: c.destFlavorId,
        imageId: c.cleanedImageId,
        keyName: c.source.keyName,
        network: c.source.network,
        metadata: c.source.metadata,
        availabilityZone: c.availabilityZone ?? c.source.availabilityZone,
        bootVolumeSize: c.bootFromVolume?.size,
      })),
    )
    .step(waitNewServerStep(deps, (c) => ({ cloud: c.cloud, serverId: c.newServerId, requestedAt: c.newServerRequestedAt })))
    .maybe(
      deleteJobImagesStep(deps, (c) => [c.cloud]),
      { when: (p) => !p.keepImages },
    )
    .step(deleteServerStep(deps, (c) => ({ cloud: c.cloud, serverId: c.serverId }), 'delete-old-server'))
    .step(waitServerGoneStep(deps, (c) => ({ cloud: c.cloud, serverId: c.serverId, since: c.sourceDeleteRequestedAt }), 'wait-old-server-gone'))
    .cleanup(cancelRunnerTasksStep(deps, runner))
    .cleanup(
      deleteNewServerStep(deps, (c: { cloud: string; newName: string; newServerId?: string | undefined }) => ({
        cloud: c.cloud,
        name: c.newName,
        serverId: c.newServerId,
      })),
      { skipIf: (c) => c.newServerActiveAt !== undefined },
    );
  return placeVolumeExportCleanup(cleaned, deps)
    .cleanup(
      deleteJobImagesStep(deps, (c: { cloud: string }) => [c.cloud], 'cleanup-delete-images'),
      { skipIf: (c) => c.keepImages || c.sourceDeleteRequestedAt !== undefined },
    )
    .cleanup(startServerStep(deps, 'cleanup-start-server'), {
      requires: ['serverId'],
      skipIf: (c: Done) => c.stoppedByJob !== true || c.sourceDeleteRequestedAt !== undefined || c.newServerActiveAt !== undefined,
    })
    .build({
      request: renameRequestSchema,
      lockKey: serverLockKey,
      targets: newServerTargets,
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        if (p.dryRun) return { dryRun: true, serverId: c.serverId, serverName: c.serverName };
        return {
          oldServer: { id: c.serverId, name: c.serverName, deleted: true },
          newServer: { id: c.newServerId, name: c.newServerName, cloud: p.cloud },
          snapshotImageId: c.imageId,
          ...(c.exportImageId ? { exportImageId: c.exportImageId } : {}),
          cleanedImageId: c.cleanedImageId,
          imagesDeleted: c.deletedImages ?? [],
          cleanWarnings: c.cleanWarnings,
        };
      },
    });
}
