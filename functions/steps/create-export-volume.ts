// Export chain, 1: a temporary volume from the root Cinder snapshot of a boot-from-volume
// snapshot image, named and tagged after the job so a retry reuses what an earlier attempt
// made (see functions/workflows/volume-export.ts for the whole chain).
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, snapshotOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { cinderTimeMs, exportName, findExportVolumes, rootVolumeSnapshotId } from '../workflows/export-lookup';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';
import { SNAPFLOW_TAGS } from '../workflows/tags';

const input = z.object({ cloud: z.string(), imageId: z.string() });
const output = z.object({ exportVolumeId: z.string(), exportSnapshotId: z.string(), exportVolumeRequestedAt: z.number() });

export function createExportVolumeStep(deps: WorkflowDeps) {
  return step({
    name: 'create-export-volume',
    input,
    output,
    mutating: true,
    retry: RETRY.serverAction,
    wait: POLL.volume,
    timeout: 120_000,
    async run(ctx) {
      const { imageId } = ctx.input;
      const os = onCloud(deps, ctx);
      const earlier = (await findExportVolumes(os, ctx.job.id)).find((v) => v.status !== 'deleting');
      if (earlier) {
        ctx.log.info('create-export-volume: reusing the volume an earlier attempt created', { jobId: ctx.job.id, volumeId: earlier.id });
        return done({
          exportVolumeId: earlier.id,
          exportSnapshotId: earlier.snapshot_id ?? '',
          exportVolumeRequestedAt: cinderTimeMs(earlier.created_at) ?? deps.now(),
        });
      }
      const image = await orNull(os.image.get(imageId));
      if (!image) return fail(permanent(`image ${imageId} vanished before its export`, { code: 'image_not_found' }));
      const snapshotId = rootVolumeSnapshotId(image);
      if (!snapshotId) {
        return fail(permanent(`image ${imageId} references no Cinder snapshot of a root disk: nothing to export`, { code: 'export_source' }));
      }
      const snapshot = await orNull(os.volume.getSnapshot(snapshotId));
      const outcome = snapshotOutcome(snapshot);
      if (isFailed(outcome)) return fail(permanent(`cannot export image ${imageId}: ${outcome.failed}`, { code: 'export_source' }));
      if (outcome === 'pending') {
        const since = ctx.job.startedAt ?? deps.now();
        if (overdue(deps, since, deps.config.snapshotWaitMs)) {
          return fail(
            permanent(`volume snapshot ${snapshotId} still ${snapshot?.status} after ${minutes(deps.config.snapshotWaitMs)}`, { code: 'export_timeout' }),
          );
        }
        return wait({ reason: `volume snapshot ${snapshotId} ${snapshot?.status}` });
      }
      const volume = await os.volume.createVolumeFromSnapshot({
        snapshotId,
        name: exportName(ctx.job.id),
        size: snapshot!.size,
        metadata: { [SNAPFLOW_TAGS.job]: ctx.job.id },
      });
      return done({ exportVolumeId: volume.id, exportSnapshotId: snapshotId, exportVolumeRequestedAt: deps.now() });
    },
  });
}
