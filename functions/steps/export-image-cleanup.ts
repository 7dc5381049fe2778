// Deletes the image the export chain made, found by its name (an upload a crash interrupted
// leaves no id in the context, and its tags may be inherited ones) and by the context's id.
// Placed twice: `cleanup-export-image` after a cancel or failure, and by a workflow that
// does not keep it once it served (rollback's `delete-export-image`). Glance deletes at once,
// whatever the state; an upload still running then fails and frees the volume.
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { findExportImages } from '../workflows/export-lookup';
import { onCloud, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), exportImageId: z.string().optional() });
const output = z.object({ deletedExportImages: z.array(z.string()) });

export function exportImageCleanupStep(deps: WorkflowDeps, name: 'cleanup-export-image' | 'delete-export-image') {
  return step({
    name,
    input,
    output,
    mutating: true,
    retry: RETRY.delete,
    timeout: 120_000,
    async run(ctx) {
      const os = onCloud(deps, ctx);
      const ids = new Set((await findExportImages(os, ctx.job.id)).map((i) => i.id));
      if (ctx.input.exportImageId) ids.add(ctx.input.exportImageId);
      for (const id of ids) await orNull(os.image.delete(id));
      return done({ deletedExportImages: [...ids] });
    },
  });
}
