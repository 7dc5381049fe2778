// Export chain, 6: the temporary volume goes once the image is active, and the step waits
// until Cinder no longer has it (error_deleting fails: a volume Cinder cannot delete needs an
// operator). Deadline: config.serverWaitMs from the moment the image was active.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { produced } from '../workflows/export-lookup';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const NAME = 'delete-export-volume';
const input = z.object({ cloud: z.string(), exportVolumeId: z.string().optional(), exportImageActiveAt: z.number().optional() });
const output = z.object({ exportVolumeDeleted: z.literal(true) });

/** Statuses Cinder deletes a volume from (others are busy or final). */
export const DELETABLE_VOLUME = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_managing']);

export function deleteExportVolumeStep(deps: WorkflowDeps) {
  return step({
    name: NAME,
    input,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.volume,
    timeout: 60_000,
    async run(ctx) {
      const id = produced(ctx.input.exportVolumeId, 'exportVolumeId', NAME);
      const since = produced(ctx.input.exportImageActiveAt, 'exportImageActiveAt', NAME);
      const os = onCloud(deps, ctx);
      const volume = await orNull(os.volume.getVolume(id));
      if (!volume) return done({ exportVolumeDeleted: true as const });
      if (volume.status === 'error_deleting') {
        return fail(permanent(`export volume ${id} is error_deleting: Cinder could not delete it`, { code: 'export_volume_failed' }));
      }
      const limit = deps.config.serverWaitMs;
      if (overdue(deps, since, limit)) {
        return fail(permanent(`export volume ${id} still ${volume.status} ${minutes(limit)} after the upload`, { code: 'export_timeout' }));
      }
      // The image turns active a moment before Cinder gives the volume its status back.
      if (DELETABLE_VOLUME.has(volume.status)) await orNull(os.volume.deleteVolume(id));
      return wait({ reason: `export volume ${id} ${DELETABLE_VOLUME.has(volume.status) ? 'deleting' : volume.status}` });
    },
  });
}
