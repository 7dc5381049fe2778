// snapshot: resolve server → [stop → wait SHUTOFF] → createImage → wait image active →
// wait volume snapshots (boot-from-volume) → [start → wait ACTIVE] → post-snapshot hook
// → [retention when `keep` is given]. Cleanup after a cancel or failure deletes the
// half-made image and starts the server again if this job stopped it.
import { workflow } from '../../shared/engine/typed-workflow';
import { createImageStep } from '../steps/create-image';
import { deleteImagesStep } from '../steps/delete-images';
import { deleteJobImageStep } from '../steps/delete-job-image';
import { postSnapshotHookStep } from '../steps/post-snapshot-hook';
import { resolveServerStep } from '../steps/resolve-server';
import { selectPrunableStep } from '../steps/select-prunable';
import { startServerStep } from '../steps/start-server';
import { stopServerStep } from '../steps/stop-server';
import { waitImageActiveStep } from '../steps/wait-image-active';
import { waitServerStatusStep } from '../steps/wait-server-status';
import { waitVolumeSnapshotsStep } from '../steps/wait-volume-snapshots';
import type { WorkflowDeps } from './deps';
import { serverLockKey, serverTargets, snapshotConcurrency, snapshotParamsSchema, snapshotRequestSchema } from './params';

// Nova's createImage works from these (vm_state active, stopped, paused, suspended).
const SNAPSHOT_FROM = ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'];

export function snapshotWorkflow(deps: WorkflowDeps) {
  const stops = { when: (p: { stop: boolean }) => p.stop, skipIf: (c: { stoppedByJob?: boolean }) => c.stoppedByJob !== true };
  const retention = { when: (p: { keep?: number; maxAgeDays?: number }) => p.keep !== undefined || p.maxAgeDays !== undefined };
  return workflow('snapshot', snapshotParamsSchema, deps.config)
    .step(resolveServerStep(deps, { accept: SNAPSHOT_FROM }))
    .maybe(stopServerStep(deps), { when: stops.when })
    .maybe(waitServerStatusStep(deps, { name: 'wait-shutoff', want: 'SHUTOFF', since: (c) => c.stopRequestedAt }), stops)
    .step(createImageStep(deps))
    .step(waitImageActiveStep(deps))
    .step(waitVolumeSnapshotsStep(deps))
    .maybe(startServerStep(deps), stops)
    .maybe(waitServerStatusStep(deps, { name: 'wait-active', want: 'ACTIVE', since: (c) => c.startRequestedAt }), stops)
    .maybe(postSnapshotHookStep(deps), { when: (_p, config) => config.postSnapshotHookUrl !== undefined })
    .maybe(selectPrunableStep(deps), retention)
    .maybe(deleteImagesStep(deps), retention)
    .cleanup(deleteJobImageStep(deps))
    .cleanup(startServerStep(deps, 'cleanup-start-server'), { requires: ['serverId'], skipIf: (c) => c.stoppedByJob !== true })
    .build({
      request: snapshotRequestSchema,
      lockKey: serverLockKey,
      targets: serverTargets,
      concurrency: (p) => snapshotConcurrency(p, deps.config.snapshotsPerProject),
      deadlineMs: deps.config.jobDeadlineMs,
      result(c, p) {
        if (p.dryRun) return { dryRun: true, serverId: c.serverId, serverName: c.serverName, volumeBacked: c.volumeBacked };
        return {
          imageId: c.imageId,
          imageName: c.imageName,
          serverId: c.serverId,
          serverName: c.serverName,
          volumeBacked: c.volumeBacked,
          volumeSnapshotIds: c.volumeSnapshotIds ?? [],
          policy: p.policy,
          stopped: c.stoppedByJob === true,
          hook: c.hook ?? 'not configured',
          ...(c.prunePlan ? { pruned: c.pruneDeleted ?? [] } : {}),
        };
      },
    });
}
