// Export chain, 3: os-volume_upload_image of the temporary volume, in the disk format asked
// for (qcow2 by default: Cinder converts and Glance stores only the used blocks; raw stores
// the whole volume). Cinder creates the Glance image inside the call, so an earlier attempt's
// image is found by its name before anything is uploaded twice.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import { imageOutcome, isFailed } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { exportDiskFormat, exportName, findExportImages, produced } from '../workflows/export-lookup';
import { createdAtMs, onCloud, POLL, permanent, RETRY } from '../workflows/step-support';

const NAME = 'upload-export-image';
const input = z.object({ cloud: z.string(), exportVolumeId: z.string().optional(), exportDiskFormat: exportDiskFormat.default('qcow2') });
const output = z.object({ exportImageId: z.string(), exportImageRequestedAt: z.number() });

export function uploadExportImageStep(deps: WorkflowDeps) {
  return step({
    name: NAME,
    input,
    output,
    mutating: true,
    retry: RETRY.serverAction,
    wait: POLL.volume,
    timeout: 120_000,
    async run(ctx) {
      const volumeId = produced(ctx.input.exportVolumeId, 'exportVolumeId', NAME);
      const os = onCloud(deps, ctx);
      const earlier = (await findExportImages(os, ctx.job.id))[0];
      if (earlier) {
        const outcome = imageOutcome(earlier);
        if (isFailed(outcome)) return fail(permanent(`export image failed: ${outcome.failed}`, { code: 'export_failed' }));
        ctx.log.info('upload-export-image: reusing the image an earlier attempt started', { jobId: ctx.job.id, imageId: earlier.id });
        return done({ exportImageId: earlier.id, exportImageRequestedAt: createdAtMs(earlier) || deps.now() });
      }
      const volume = await orNull(os.volume.getVolume(volumeId));
      if (!volume) return fail(permanent(`export volume ${volumeId} vanished before its upload`, { code: 'export_volume_failed' }));
      // An upload whose image someone deleted still runs until Cinder notices: then the volume is free again.
      if (volume.status === 'uploading') return wait({ reason: `export volume ${volumeId} still uploading an earlier image` });
      if (volume.status !== 'available') {
        return fail(permanent(`export volume ${volumeId} is ${volume.status}, not available: cannot upload it`, { code: 'export_volume_failed' }));
      }
      const imageId = await os.volume.uploadToImage(volumeId, {
        imageName: exportName(ctx.job.id),
        diskFormat: ctx.input.exportDiskFormat,
        containerFormat: 'bare',
      });
      return done({ exportImageId: imageId, exportImageRequestedAt: deps.now() });
    },
  });
}
