// move (to another clouds.yaml entry: project, user, Keystone): resolve the source (a
// Windows guest is refused) → check the destination has the flavor (by name) and key →
// stop → wait SHUTOFF → createImage → wait active → [volume-backed: export the root disk to
// an image, volume-export.ts] → size sanity check → runner: limited virt-sysprep, upload
// into the destination with its own credentials → [keepHostname: delete the source → wait
// until it is gone → wait until its name no longer resolves] → create the server in the
// destination (the source's name, flavor, key, metadata) → wait ACTIVE → delete the
// intermediate images (unless keepImages) → [deleteSource: delete the source now; after the
// images, as rename.ts explains].
// Cleanup: the new server unless it became ACTIVE; the images only while the source still
// exists (once it is being deleted, the cleaned image is the only copy of the disk); the
// source is started again if the job stopped it and it is neither deleted nor replaced.
import { workflow } from '../../shared/engine/typed-workflow';
import { cancelRunnerTasksStep } from '../steps/cancel-runner-tasks';
import { checkDestinationStep } from '../steps/check-destination';
import { checkSnapshotSizeStep } from '../steps/check-snapshot-size';
import { cleanImageStep } from '../steps/clean-image';
import { createImageStep } from '../steps/create-image';
import { createServerStep } from '../steps/create-server';
import { deleteJobImagesStep } from '../steps/delete-job-images';
import { deleteNewServerStep } from '../steps/delete-new-server';
import { deleteServerStep } from '../steps/delete-server';
import { resolveSourceStep } from '../steps/resolve-source';
import { startServerStep } from '../steps/start-server';
import { stopServerStep } from '../steps/stop-server';
import { waitDnsGoneStep } from '../steps/wait-dns-gone';
import { waitImageActiveStep } from '../steps/wait-image-active';
import { waitNewServerStep } from '../steps/wait-new-server';
import { waitServerGoneStep } from '../steps/wait-server-gone';
import { waitServerStatusStep } from '../steps/wait-server-status';
import type { WorkflowDeps } from './deps';
import { moveParamsSchema, moveRequestSchema, newServerTargets, serverLockKey } from './params';
import type { RunnerStepDeps } from './runner-step-deps';
import { placeVolumeExport, placeVolumeExportCleanup } from './volume-export';

type Source = { cloud: string; serverId: string };
type Dest = { to: { cloud: string }; server: string; serverName?: string | undefined; newServerId?: string | undefined };
type Done = { stoppedByJob?: boolean; sourceDeleteRequestedAt?: number; newServerActiveAt?: number };

export function moveWorkflow(deps: WorkflowDeps, runner: RunnerStepDeps) {
  const keeps = { when: (p: { keepHostname: boolean }) => p.keepHostname };
  const deletesAtEnd = { when: (p: { keepHostname: boolean; deleteSource: boolean }) => !p.keepHostname && p.deleteSource };
  const source = (c: Source) => ({ cloud: c.cloud, serverId: c.serverId });
  const snapshotted = workflow('move', moveParamsSchema, deps.config)
    .step(resolveSourceStep(deps, { accept: ['ACTIVE', 'SHUTOFF'], refuseWindows: true }))
    .step(checkDestinationStep(deps, (c) => ({ cloud: c.to.cloud, flavor: c.source.flavor, keyName: c.source.keyName })))
    .step(stopServerStep(deps))
    .maybe(waitServerStatusStep(deps, { name: 'wait-shutoff', want: 'SHUTOFF', since: (c) => c.stopRequestedAt }), { skipIf: (c) => !c.stoppedByJob })
    .step(createImageStep(deps, { policy: 'move' }))
    .step(waitImageActiveStep(deps));
  const cleaned = placeVolumeExport(snapshotted, deps, { skipIf: (c) => !c.volumeBacked })
    .step(checkSnapshotSizeStep(deps))
    .step(
      cleanImageStep(deps, runner, {
        spec: (c) => ({
          source: { cloud: c.cloud, imageId: c.exportImageId ?? c.imageId, server: c.server, serverId: c.serverId },
          clean: { mode: 'limited' },
          target: { cloud: c.to.cloud, server: c.server, name: `${c.serverName}-moved` },
        }),
      }),
    )
    .maybe(deleteServerStep(deps, source), keeps)
    .maybe(
      waitServerGoneStep(deps, (c) => ({ ...source(c), since: c.sourceDeleteRequestedAt ?? deps.now() })),
      keeps,
    )
    .maybe(waitDnsGoneStep(deps), keeps)
    .step(
      createServerStep(deps, (c) => ({
        cloud: c.to.cloud,
        name: c.serverName,
        flavor: c.destFlavorId,
        imageId: c.cleanedImageId,
        keyName: c.source.keyName,
        network: c.source.network,
        metadata: c.source.metadata,
        availabilityZone: c.availabilityZone,
        bootVolumeSize: c.bootFromVolume?.size,
      })),
    )
    .step(waitNewServerStep(deps, (c) => ({ cloud: c.to.cloud, serverId: c.newServerId, requestedAt: c.newServerRequestedAt })))
    .maybe(
      deleteJobImagesStep(deps, (c) => [c.cloud, c.to.cloud]),
      { when: (p) => !p.keepImages },
    )
    .maybe(deleteServerStep(deps, source, 'delete-source-at-end'), deletesAtEnd)
    .maybe(
      waitServerGoneStep(deps, (c) => ({ ...source(c), since: c.sourceDeleteRequestedAt ?? deps.now() }), 'wait-source-gone-at-end'),
      deletesAtEnd,
    )
    .cleanup(cancelRunnerTasksStep(deps, runner))
    .cleanup(
      deleteNewServerStep(deps, (c: Dest) => ({ cloud: c.to.cloud, name: c.serverName ?? c.server, serverId: c.newServerId })),
      { skipIf: (c) => c.newServerActiveAt !== undefined },
    );
  return placeVolumeExportCleanup(cleaned, deps)
    .cleanup(
      deleteJobImagesStep(deps, (c: { cloud: string; to: { cloud: string } }) => [c.cloud, c.to.cloud], 'cleanup-delete-images'),
      { skipIf: (c) => c.keepImages || c.sourceDeleteRequestedAt !== undefined },
    )
    .cleanup(startServerStep(deps, 'cleanup-start-server'), {
      requires: ['serverId'],
      skipIf: (c: Done) => c.stoppedByJob !== true || c.sourceDeleteRequestedAt !== undefined || c.newServerActiveAt !== undefined,
    })
    .build({
      request: moveRequestSchema,
      lockKey: serverLockKey,
      targets: newServerTargets,
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        if (p.dryRun) return { dryRun: true, serverId: c.serverId, serverName: c.serverName };
        return {
          serverId: c.serverId,
          serverName: c.serverName,
          newServer: { id: c.newServerId, name: c.newServerName, cloud: p.to.cloud },
          snapshotImageId: c.imageId,
          ...(c.exportImageId ? { exportImageId: c.exportImageId } : {}),
          snapshotBytes: c.sizeCheck.bytes,
          cleanedImageId: c.cleanedImageId,
          imagesDeleted: c.deletedImages ?? [],
          cleanWarnings: c.cleanWarnings,
          sourceDeleted: c.sourceGoneAt !== undefined,
          ...(c.hostname ? { hostname: c.hostname } : {}),
        };
      },
    });
}
