// Export chain, 4: the uploaded image gets this job's snapflow_job, and loses the snapshot
// tags (snapflow_server, _policy, _volume_backed) Cinder may have copied from the volume's
// image metadata: an export is no snapshot of a server, so `latest`, retention and the
// snapshot listing must never see it. Glance accepts the patch while the upload runs.
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { type ImagePatchOp, imageProperty } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { produced, SNAPSHOT_ONLY_TAGS } from '../workflows/export-lookup';
import { onCloud, permanent, RETRY } from '../workflows/step-support';
import { SNAPFLOW_TAGS } from '../workflows/tags';

const NAME = 'tag-export-image';
const input = z.object({ cloud: z.string(), exportImageId: z.string().optional() });
const output = z.object({ exportImageTagged: z.literal(true) });

export function tagExportImageStep(deps: WorkflowDeps) {
  return step({
    name: NAME,
    input,
    output,
    mutating: true,
    retry: RETRY.read,
    timeout: 60_000,
    async run(ctx) {
      const imageId = produced(ctx.input.exportImageId, 'exportImageId', NAME);
      const os = onCloud(deps, ctx);
      const image = await orNull(os.image.get(imageId));
      // Cinder deletes the image when the upload fails, also between this read and the patch.
      const vanished = () => fail(permanent(`export image ${imageId} vanished: the upload failed`, { code: 'export_failed' }));
      if (!image) return vanished();
      const ops: ImagePatchOp[] = [];
      if (imageProperty(image, SNAPFLOW_TAGS.job) !== ctx.job.id) ops.push({ op: 'add', path: `/${SNAPFLOW_TAGS.job}`, value: ctx.job.id });
      for (const tag of SNAPSHOT_ONLY_TAGS) if (imageProperty(image, tag) !== undefined) ops.push({ op: 'remove', path: `/${tag}` });
      if (ops.length > 0 && (await orNull(os.image.update(imageId, ops))) === null) return vanished();
      return done({ exportImageTagged: true as const });
    },
  });
}
