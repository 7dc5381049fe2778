// Nova createImage, tagged so a retry finds what an earlier attempt made: before creating,
// look for an image with snapflow_job=<job id> and reuse it. A crash between createImage
// and the commit therefore never makes a second snapshot.
import { z } from 'zod';
import { formatImageName } from '../../shared/config/name-pattern';
import { done } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { WorkflowDeps } from '../workflows/deps';
import { DEFAULT_POLICY } from '../workflows/params';
import { createdAtMs, onCloud, RETRY } from '../workflows/step-support';
import { findJobImages, SNAPFLOW_TAGS } from '../workflows/tags';

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  serverName: z.string(),
  volumeBacked: z.boolean(),
  name: z.string().optional(),
  policy: z.string().optional(),
  properties: z.record(z.string(), z.string()).default({}),
});
const output = z.object({ imageId: z.string(), imageName: z.string().nullable(), imageRequestedAt: z.number() });

export interface CreateImageOptions {
  /** The snapflow_policy tag when the job has no `policy` (clone, move, rename tag theirs with their kind). */
  policy?: string;
}

export function createImageStep(deps: WorkflowDeps, opts: CreateImageOptions = {}) {
  return step({
    name: 'create-image',
    input,
    output,
    mutating: true,
    retry: RETRY.createImage,
    // A volume-backed createImage quiesces and snapshots volumes inside the API call.
    timeout: 300_000,
    async run(ctx) {
      const inp = ctx.input;
      const policy = inp.policy ?? opts.policy ?? DEFAULT_POLICY;
      const os = onCloud(deps, ctx);
      const found = (await findJobImages(os, ctx.job.id))[0];
      if (found) {
        ctx.log.info('create-image: reusing the image an earlier attempt created', { jobId: ctx.job.id, imageId: found.id });
        return done({ imageId: found.id, imageName: found.name ?? null, imageRequestedAt: createdAtMs(found) || deps.now() });
      }
      const imageName =
        inp.name ??
        formatImageName(deps.config.imageNamePattern, {
          server: inp.serverName,
          cloud: inp.cloud,
          job: ctx.job.id,
          kind: 'snapshot',
          schedule: policy,
          date: new Date(deps.now()),
        });
      const metadata: Record<string, string> = {
        ...inp.properties,
        [SNAPFLOW_TAGS.job]: ctx.job.id,
        [SNAPFLOW_TAGS.policy]: policy,
        [SNAPFLOW_TAGS.server]: inp.serverId,
        [SNAPFLOW_TAGS.volumeBacked]: String(inp.volumeBacked),
      };
      const imageId = await os.compute.createImage(inp.serverId, imageName, metadata);
      return done({ imageId, imageName, imageRequestedAt: deps.now() });
    },
  });
}
