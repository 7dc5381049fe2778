// snapshot: resolve server → [stop → wait SHUTOFF] → createImage → wait image active →
// wait volume snapshots (boot-from-volume) → [start → wait ACTIVE] → post-snapshot hook
// → [retention when `keep` is given]. Cleanup after a cancel or failure deletes the
// half-made image and starts the server again if this job stopped it.

import { defineWorkflow, type WorkflowDefinition } from '../../shared/engine/define';
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
import { type SnapshotParams, serverLockKey, snapshotConcurrency, snapshotParamsSchema } from './params';
import { skipOnDryRun } from './step-support';

// Nova's createImage works from these (vm_state active, stopped, paused, suspended).
const SNAPSHOT_FROM = ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'];

export function snapshotWorkflow(deps: WorkflowDeps): WorkflowDefinition<SnapshotParams> {
  return defineWorkflow<SnapshotParams>({
    kind: 'snapshot',
    params: snapshotParamsSchema,
    steps: [
      resolveServerStep(deps, { accept: SNAPSHOT_FROM }),
      skipOnDryRun(stopServerStep(deps)),
      skipOnDryRun(waitServerStatusStep(deps, { name: 'wait-shutoff', want: 'SHUTOFF', sinceKey: 'stopRequestedAt', onlyIf: 'stoppedByJob' })),
      skipOnDryRun(createImageStep(deps)),
      skipOnDryRun(waitImageActiveStep(deps)),
      skipOnDryRun(waitVolumeSnapshotsStep(deps)),
      skipOnDryRun(startServerStep(deps)),
      skipOnDryRun(waitServerStatusStep(deps, { name: 'wait-active', want: 'ACTIVE', sinceKey: 'startRequestedAt', onlyIf: 'stoppedByJob' })),
      skipOnDryRun(postSnapshotHookStep(deps)),
      skipOnDryRun(selectPrunableStep(deps)),
      skipOnDryRun(deleteImagesStep(deps)),
    ],
    cleanup: [deleteJobImageStep(deps), startServerStep(deps, 'cleanup-start-server')],
    lockKey: serverLockKey,
    concurrency: (p) => snapshotConcurrency(p, deps.config.snapshotsPerProject),
    deadlineMs: deps.config.jobDeadlineMs,
    plan(p) {
      const steps = ['resolve-server'];
      if (p.stop) steps.push('stop-server', 'wait-shutoff');
      steps.push('create-image', 'wait-image-active', 'wait-volume-snapshots');
      if (p.stop) steps.push('start-server', 'wait-active');
      if (deps.config.postSnapshotHookUrl) steps.push('post-snapshot-hook');
      if (p.keep !== undefined || p.maxAgeDays !== undefined) steps.push('select-prunable', 'delete-images');
      return steps;
    },
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
        hook: c.hook,
        ...(c.prunePlan ? { pruned: c.pruneDeleted ?? [] } : {}),
      };
    },
  });
}
