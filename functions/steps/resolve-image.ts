// Resolve the rollback target: an image id, an exact image name, or `latest` (the newest
// active snapflow snapshot of this server). By default the image must be a snapshot of
// this very server: rebuilding a server from someone else's image is almost always a
// mistake, and it destroys the disk.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { Image } from '../../shared/openstack/image-schemas';
import { imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { imageFromJob } from '../workflows/image-from-job';
import { createdAtMs, onCloud, POLL, permanent, RETRY } from '../workflows/step-support';
import { findServerSnapshots, isSnapshotOf } from '../workflows/tags';

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  /** latest | <id> | <name>; or, instead, the snapshot job whose image it is (params.ts). */
  image: z.string().optional(),
  imageFromJob: z.string().optional(),
  allowForeignImage: z.boolean().default(false),
});
const output = z.object({ imageId: z.string(), imageName: z.string().nullable(), imageInCinder: z.boolean() });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Stable sort: ties within Glance's one-second precision keep Glance's own (newest first) order.
const newestFirst = (a: Image, b: Image) => createdAtMs(b) - createdAtMs(a);

export function resolveImageStep(deps: WorkflowDeps) {
  return step({
    name: 'resolve-image',
    input,
    output,
    readOnly: true,
    retry: RETRY.read,
    // waiting for the snapshot job of imageFromJob to end
    wait: POLL.busy,
    timeout: 120_000,
    async run(ctx) {
      const { serverId, allowForeignImage } = ctx.input;
      let ref = ctx.input.image;
      if (ctx.input.imageFromJob !== undefined) {
        const from = await imageFromJob(deps, ctx.input.imageFromJob, ctx.input.cloud, ctx.job.createdAt);
        if (from.kind === 'wait') return wait({ reason: from.reason });
        if (from.kind === 'fail') return fail(from.error);
        ref = from.imageId;
      }
      if (ref === undefined) return fail(permanent('no image to roll back to: give image or imageFromJob', { code: 'invalid_params' }));
      const os = onCloud(deps, ctx);
      let image: Image | undefined;
      if (ref === 'latest') {
        const snaps = (await findServerSnapshots(os, serverId)).filter((i) => i.status === 'active').sort(newestFirst);
        image = snaps[0];
        if (!image) return fail(permanent(`no active snapflow snapshot of server ${serverId} to roll back to`, { code: 'image_not_found' }));
      } else {
        if (UUID.test(ref)) image = (await orNull(os.image.get(ref))) ?? undefined;
        if (!image) {
          const named = (await os.image.listAll({ filters: { name: ref } })).filter((i) => i.name === ref);
          // Several images may share a name; the ones of this server are what the user means.
          const own = named.filter((i) => isSnapshotOf(i, serverId));
          const pick = own.length > 0 ? own : named;
          if (pick.length > 1) {
            return fail(
              permanent(`${pick.length} images are named ${JSON.stringify(ref)} (${pick.map((i) => i.id).join(', ')}); use the id`, {
                code: 'ambiguous_image',
              }),
            );
          }
          image = pick[0];
        }
        if (!image) return fail(permanent(`no image with id or name ${JSON.stringify(ref)}`, { code: 'image_not_found' }));
      }
      if (!allowForeignImage && !isSnapshotOf(image, serverId)) {
        return fail(
          permanent(`image ${image.id} is not a snapshot of server ${serverId}; set allowForeignImage to rebuild from it anyway`, {
            code: 'foreign_image',
          }),
        );
      }
      if (image.status !== 'active') return fail(permanent(`image ${image.id} is ${image.status}, not active`, { code: 'image_state' }));
      // A boot-from-volume snapshot holds no data in Glance (its disk is a Cinder snapshot):
      // the rollback exports it to a real image first (functions/workflows/volume-export.ts).
      return done({ imageId: image.id, imageName: image.name ?? null, imageInCinder: imageVolumeSnapshotIds(image).length > 0 });
    },
  });
}
