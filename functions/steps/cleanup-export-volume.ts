// Cleanup of the export chain: delete the job's temporary volume(s), found by name and tag
// (a crash right after the create leaves no id in the context) and by the context's id.
// A volume still creating or uploading is waited for (the cleanup deadline bounds it; the
// export image is deleted before, so an upload fails soon); done when none is left.
import { z } from 'zod';
import { done, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import type { Volume } from '../../shared/openstack/volume';
import type { WorkflowDeps } from '../workflows/deps';
import { findExportVolumes } from '../workflows/export-lookup';
import { onCloud, POLL, RETRY } from '../workflows/step-support';
import { DELETABLE_VOLUME } from './delete-export-volume';

const input = z.object({ cloud: z.string(), exportVolumeId: z.string().optional() });
const output = z.object({ exportVolumeCleaned: z.literal(true) });

export function cleanupExportVolumeStep(deps: WorkflowDeps) {
  return step({
    name: 'cleanup-export-volume',
    input,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.busy,
    timeout: 120_000,
    async run(ctx) {
      const os = onCloud(deps, ctx);
      const volumes: Volume[] = await findExportVolumes(os, ctx.job.id);
      const known = ctx.input.exportVolumeId;
      if (known && !volumes.some((v) => v.id === known)) {
        const v = await orNull(os.volume.getVolume(known));
        if (v) volumes.push(v);
      }
      const pending: string[] = [];
      for (const v of volumes) {
        // error_deleting: asking again is what an operator would do first.
        if (DELETABLE_VOLUME.has(v.status) || v.status === 'error_deleting') await orNull(os.volume.deleteVolume(v.id));
        pending.push(`${v.id} ${v.status}`);
      }
      if (pending.length > 0) return wait({ reason: `export volume(s) ${pending.join(', ')}: deleting or waiting to` });
      return done({ exportVolumeCleaned: true as const });
    },
  });
}
