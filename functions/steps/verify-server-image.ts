// After the rebuild: prove the server now runs the requested image. Image-backed servers
// say so in server.image.id; for a volume-backed one the root volume's
// volume_image_metadata names it (when Cinder keeps none, Nova's successful rebuild is
// taken as the answer).
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { serverImageId } from '../../shared/openstack/compute-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { rootVolumeImageId } from '../workflows/root-volume';
import { onCloud, permanent, RETRY } from '../workflows/step-support';

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  imageId: z.string(),
  /** What the server was rebuilt from when imageId is a boot-from-volume snapshot (the export chain's image). */
  exportImageId: z.string().optional(),
  volumeBacked: z.boolean(),
  /** What wait-rebuilt's final read (ACTIVE/SHUTOFF reached) showed; absent in older jobs. */
  observedImageId: z.string().nullable().optional(),
  observedStatus: z.string().optional(),
});
const output = z.object({ verifiedBy: z.enum(['nova', 'volume_image_metadata', 'server.image']), finalStatus: z.string() });

export function verifyServerImageStep(deps: WorkflowDeps) {
  return step({
    name: 'verify-server-image',
    input,
    output,
    retry: RETRY.read,
    timeout: 60_000,
    async run(ctx) {
      const { serverId, volumeBacked, observedImageId, observedStatus } = ctx.input;
      const imageId = ctx.input.exportImageId ?? ctx.input.imageId;
      let runs: string | undefined;
      let status: string;
      if (!volumeBacked && observedImageId !== undefined && observedStatus !== undefined) {
        // The read that saw the rebuild finish is the proof: another GET would show the same.
        runs = observedImageId ?? undefined;
        status = observedStatus;
      } else {
        const os = onCloud(deps, ctx);
        const server = await os.compute.getServer(serverId);
        runs = volumeBacked ? await rootVolumeImageId(os, server) : serverImageId(server);
        status = server.status;
      }
      if (runs === undefined && volumeBacked) return done({ verifiedBy: 'nova', finalStatus: status });
      if (runs !== imageId) {
        return fail(
          permanent(
            `server ${serverId} runs image ${runs ?? 'none'} after the rebuild, not ${imageId}: the rebuild did not take effect ` +
              "(Nova reverts a failed rebuild without an API error; see the server's instance actions)",
            { code: 'verify_failed' },
          ),
        );
      }
      return done({ verifiedBy: volumeBacked ? 'volume_image_metadata' : 'server.image', finalStatus: status });
    },
  });
}
