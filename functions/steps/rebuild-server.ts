// Rebuild the server from the resolved image (or, for a boot-from-volume snapshot, from the
// image the export chain made of it): same server, so the same name, IP and metadata (no
// name/metadata are passed). A volume-backed server needs compute microversion 2.93 (Nova
// re-images the root volume); on an older cloud the job fails right here, before anything
// changes (rollback checks it earlier, in check-volume-rebuild).
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { OpenStackClient } from '../../shared/openstack/client';
import { VOLUME_REBUILD_MICROVERSION } from '../../shared/openstack/compute';
import { type Server, serverImageId, taskState } from '../../shared/openstack/compute-schemas';
import { atLeast } from '../../shared/openstack/microversion';
import type { WorkflowDeps } from '../workflows/deps';
import { rootVolumeImageId } from '../workflows/root-volume';
import { onCloud, RETRY } from '../workflows/step-support';
import { volumeRebuildUnsupported } from './check-volume-rebuild';

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  imageId: z.string(),
  /** The image the export chain made when imageId is a boot-from-volume snapshot: the one to rebuild from. */
  exportImageId: z.string().optional(),
  volumeBacked: z.boolean(),
});
const output = z.object({ rebuildRequestedAt: z.number(), wasStopped: z.boolean(), rebuilt: z.enum(['now', 'earlier attempt']) });

function isRebuilding(s: Server): boolean {
  return s.status === 'REBUILD' || (taskState(s) ?? '').startsWith('rebuild');
}

function wasStopped(s: Server): boolean {
  return s.status === 'SHUTOFF' || s['OS-EXT-STS:vm_state'] === 'stopped';
}

async function runsImage(os: OpenStackClient, s: Server, imageId: string, volumeBacked: boolean): Promise<boolean> {
  return volumeBacked ? (await rootVolumeImageId(os, s)) === imageId : serverImageId(s) === imageId;
}

export function rebuildServerStep(deps: WorkflowDeps) {
  return step({
    name: 'rebuild-server',
    input,
    output,
    mutating: true,
    // 409 while another task runs on the server.
    retry: RETRY.serverAction,
    timeout: 120_000,
    async run(ctx) {
      const { serverId, volumeBacked } = ctx.input;
      const imageId = ctx.input.exportImageId ?? ctx.input.imageId;
      const os = onCloud(deps, ctx);
      if (volumeBacked) {
        const { max } = await os.compute.microversions();
        if (!atLeast(max, VOLUME_REBUILD_MICROVERSION)) return fail(volumeRebuildUnsupported(serverId, max));
      }
      const server = await os.compute.getServer(serverId);
      if (ctx.attempt > 1) {
        // Did an earlier attempt's rebuild go through before its result was lost? Then the
        // server is rebuilding, or runs the image and was changed after this job started.
        if (isRebuilding(server)) return done({ rebuildRequestedAt: deps.now(), wasStopped: wasStopped(server), rebuilt: 'earlier attempt' });
        const updated = server.updated ? Date.parse(server.updated) : NaN;
        const touched = Number.isFinite(updated) && ctx.job.startedAt !== null && updated >= Math.floor(ctx.job.startedAt / 1000) * 1000;
        if (touched && (await runsImage(os, server, imageId, volumeBacked))) {
          return done({ rebuildRequestedAt: deps.now(), wasStopped: wasStopped(server), rebuilt: 'earlier attempt' });
        }
      }
      await os.compute.rebuild(serverId, { imageRef: imageId, ...(volumeBacked ? { microversion: VOLUME_REBUILD_MICROVERSION } : {}) });
      return done({ rebuildRequestedAt: deps.now(), wasStopped: wasStopped(server), rebuilt: 'now' });
    },
  });
}
