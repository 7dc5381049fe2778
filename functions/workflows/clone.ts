// clone: resolve the source → [stop → wait SHUTOFF] → createImage → wait active → [start →
// wait ACTIVE: the source is down only for the snapshot] → [volume-backed: export the root
// disk's Cinder snapshot to an image, volume-export.ts] → check the target cloud has the
// flavor and key → runner: full virt-sysprep, upload into the target project with os=LINUX
// (or landb-os=WINDOWS) → create the server (from the image, or from a new volume with
// bootFromVolume) → wait ACTIVE → delete the intermediate snapshot, the export and the
// cleaned image (unless keepImages). A cancel or failure deletes the new server (unless it
// became ACTIVE), the export volume and image, the images (unless kept) and starts the
// source if the job stopped it.
import { workflow } from '../../shared/engine/typed-workflow';
import { cancelRunnerTasksStep } from '../steps/cancel-runner-tasks';
import { checkDestinationStep } from '../steps/check-destination';
import { cleanImageStep } from '../steps/clean-image';
import { createImageStep } from '../steps/create-image';
import { createServerStep } from '../steps/create-server';
import { deleteJobImagesStep } from '../steps/delete-job-images';
import { deleteNewServerStep } from '../steps/delete-new-server';
import { resolveSourceStep } from '../steps/resolve-source';
import { startServerStep } from '../steps/start-server';
import { stopServerStep } from '../steps/stop-server';
import { waitImageActiveStep } from '../steps/wait-image-active';
import { waitNewServerStep } from '../steps/wait-new-server';
import { waitServerStatusStep } from '../steps/wait-server-status';
import type { WorkflowDeps } from './deps';
import { cloneParamsSchema, cloneRequestSchema, newServerTargets, serverLockKey, targetCloud } from './params';
import type { RunnerStepDeps } from './runner-step-deps';
import { placeVolumeExport, placeVolumeExportCleanup } from './volume-export';

// Nova's createImage works from these (vm_state active, stopped, paused, suspended).
const SNAPSHOT_FROM = ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'];

type CloudPair = { cloud: string; to?: { cloud: string } | undefined };
type NewServerCleanup = CloudPair & { newName: string; newServerId?: string | undefined };

export function cloneWorkflow(deps: WorkflowDeps, runner: RunnerStepDeps) {
  const stops = { when: (p: { stop: boolean }) => p.stop, skipIf: (c: { stoppedByJob?: boolean }) => c.stoppedByJob !== true };
  const snapshotted = workflow('clone', cloneParamsSchema, deps.config)
    .step(resolveSourceStep(deps, { accept: SNAPSHOT_FROM }))
    // a key pair belongs to a user: the source's is a default only within its own cloud entry
    .step(
      checkDestinationStep(deps, (c) => ({
        cloud: targetCloud(c),
        flavor: c.flavor ?? c.source.flavor,
        keyName: c.keyName ?? (targetCloud(c) === c.cloud ? c.source.keyName : null),
      })),
    )
    .maybe(stopServerStep(deps), { when: stops.when })
    .maybe(waitServerStatusStep(deps, { name: 'wait-shutoff', want: 'SHUTOFF', since: (c) => c.stopRequestedAt }), stops)
    .step(createImageStep(deps, { policy: 'clone' }))
    .step(waitImageActiveStep(deps))
    .maybe(startServerStep(deps), stops)
    .maybe(waitServerStatusStep(deps, { name: 'wait-active', want: 'ACTIVE', since: (c) => c.startRequestedAt }), stops);
  const cleaned = placeVolumeExport(snapshotted, deps, { skipIf: (c) => !c.volumeBacked })
    .step(
      cleanImageStep(deps, runner, {
        spec: (c) => ({
          source: { cloud: c.cloud, imageId: c.exportImageId ?? c.imageId, server: c.server, serverId: c.serverId },
          clean: { mode: 'full', deletePaths: c.deletePaths, slc6: c.slc6, os: c.os },
          target: { cloud: targetCloud(c), server: c.newName, name: `${c.newName}-clean` },
        }),
      }),
    )
    .step(
      createServerStep(deps, (c) => ({
        cloud: targetCloud(c),
        name: c.newName,
        flavor: c.destFlavorId,
        imageId: c.cleanedImageId,
        keyName: c.keyName ?? (targetCloud(c) === c.cloud ? c.source.keyName : null),
        network: c.network ?? c.source.network,
        metadata: { ...c.source.metadata, ...c.metadata },
        availabilityZone: c.availabilityZone ?? (targetCloud(c) === c.cloud ? c.source.availabilityZone : null),
        bootVolumeSize: c.bootFromVolume?.size,
      })),
    )
    .step(waitNewServerStep(deps, (c) => ({ cloud: targetCloud(c), serverId: c.newServerId, requestedAt: c.newServerRequestedAt })))
    .maybe(
      deleteJobImagesStep(deps, (c) => [c.cloud, targetCloud(c)]),
      { when: (p) => !p.keepImages },
    )
    .cleanup(cancelRunnerTasksStep(deps, runner))
    .cleanup(
      deleteNewServerStep(deps, (c: NewServerCleanup) => ({ cloud: targetCloud(c), name: c.newName, serverId: c.newServerId })),
      { skipIf: (c) => c.newServerActiveAt !== undefined },
    );
  return placeVolumeExportCleanup(cleaned, deps)
    .cleanup(
      deleteJobImagesStep(deps, (c: CloudPair) => [c.cloud, targetCloud(c)], 'cleanup-delete-images'),
      { skipIf: (c) => c.keepImages },
    )
    .cleanup(startServerStep(deps, 'cleanup-start-server'), { requires: ['serverId'], skipIf: (c) => c.stoppedByJob !== true })
    .build({
      request: cloneRequestSchema,
      lockKey: serverLockKey,
      targets: newServerTargets,
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        if (p.dryRun) return { dryRun: true, serverId: c.serverId, serverName: c.serverName };
        return {
          serverId: c.serverId,
          serverName: c.serverName,
          newServer: { id: c.newServerId, name: c.newServerName, cloud: targetCloud(p) },
          snapshotImageId: c.imageId,
          ...(c.exportImageId ? { exportImageId: c.exportImageId } : {}),
          cleanedImageId: c.cleanedImageId,
          imagesDeleted: c.deletedImages ?? [],
          cleanWarnings: c.cleanWarnings,
          stopped: c.stoppedByJob === true,
        };
      },
    });
}
