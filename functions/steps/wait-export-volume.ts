// Export chain, 2: the temporary volume until Cinder says available. error / deleting /
// vanished fail with the reason; the deadline (config.snapshotWaitMs from the create) bounds it.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, volumeOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { produced } from '../workflows/export-lookup';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const NAME = 'wait-export-volume';
const input = z.object({ cloud: z.string(), exportVolumeId: z.string().optional(), exportVolumeRequestedAt: z.number().optional() });
const output = z.object({ exportVolumeAvailableAt: z.number() });

export function waitExportVolumeStep(deps: WorkflowDeps) {
  return step({
    name: NAME,
    input,
    output,
    retry: RETRY.poll,
    wait: POLL.volume,
    timeout: 60_000,
    async run(ctx) {
      const id = produced(ctx.input.exportVolumeId, 'exportVolumeId', NAME);
      const since = produced(ctx.input.exportVolumeRequestedAt, 'exportVolumeRequestedAt', NAME);
      // Cinder copies the snapshot after the create returns: a read at once only says "creating".
      const firstCheck = ctx.scaled(POLL.volume.baseMs);
      if (deps.now() - since < firstCheck) return wait({ reason: `volume ${id} requested, first check in ${firstCheck} ms` });
      const volume = await orNull(onCloud(deps, ctx).volume.getVolume(id));
      const outcome = volumeOutcome(volume);
      if (outcome === 'ready') return done({ exportVolumeAvailableAt: deps.now() });
      if (isFailed(outcome)) return fail(permanent(`export volume failed: ${outcome.failed}`, { code: 'export_volume_failed' }));
      const limit = deps.config.snapshotWaitMs;
      if (overdue(deps, since, limit)) {
        return fail(permanent(`export volume ${id} still ${volume?.status} after ${minutes(limit)}`, { code: 'export_timeout' }));
      }
      await ctx.heartbeat({ phase: `export volume ${volume?.status ?? 'pending'}` });
      return wait({ reason: `export volume ${id} ${volume?.status ?? 'pending'}` });
    },
  });
}
