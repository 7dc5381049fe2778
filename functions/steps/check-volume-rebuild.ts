// A volume-backed server is rolled back by Nova re-imaging its root volume, which needs
// compute microversion 2.93. Checked before anything is made (an export of the disk is
// minutes of Cinder and Glance work): on an older cloud the job fails here, saying why.
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { VOLUME_REBUILD_MICROVERSION } from '../../shared/openstack/compute';
import { atLeast } from '../../shared/openstack/microversion';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, permanent, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), serverId: z.string() });
const output = z.object({ computeMaxMicroversion: z.string() });

/** The refusal, worded once for this step and rebuild-server. */
export function volumeRebuildUnsupported(serverId: string, max: string) {
  return permanent(
    `server ${serverId} boots from a volume: rolling it back needs compute microversion ${VOLUME_REBUILD_MICROVERSION} ` +
      `(Nova re-images the root volume), but this cloud offers up to ${max}`,
    { code: 'microversion_unsupported' },
  );
}

export function checkVolumeRebuildStep(deps: WorkflowDeps) {
  return step({
    name: 'check-volume-rebuild',
    input,
    output,
    readOnly: true,
    retry: RETRY.read,
    timeout: 60_000,
    async run(ctx) {
      const { max } = await onCloud(deps, ctx).compute.microversions();
      if (!atLeast(max, VOLUME_REBUILD_MICROVERSION)) return fail(volumeRebuildUnsupported(ctx.input.serverId, max));
      return done({ computeMaxMicroversion: max });
    },
  });
}
