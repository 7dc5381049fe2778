// Nova server create for clone, move and rename, tagged so a retry finds what an earlier
// attempt made: the server carries the metadata snapflow_job=<job id>, and before creating,
// a server of that name with that tag is looked for and reused. A full quota is a clear
// permanent failure (Nova answers 403, older releases 413), not something to retry.
import { z } from 'zod';
import type { StepContext } from '../../shared/engine/define';
import { done, fail } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import type { CreateServerSpec } from '../../shared/openstack/compute';
import { ForbiddenError, OverLimitError } from '../../shared/openstack/errors';
import { exactNameFilter } from '../../shared/openstack/nova-name';
import type { WorkflowDeps } from '../workflows/deps';
import { permanent, RETRY } from '../workflows/step-support';
import { SNAPFLOW_TAGS } from '../workflows/tags';

export const createServerOutput = z.object({ newServerId: z.string(), newServerName: z.string(), newServerRequestedAt: z.number() });
export type CreateServerOutput = z.infer<typeof createServerOutput>;

export interface NewServerSpec {
  cloud: string;
  name: string;
  /** Flavor id or name. */
  flavor: string;
  imageId: string;
  keyName?: string | null | undefined;
  network: string;
  metadata: Record<string, string>;
  availabilityZone?: string | null | undefined;
  /** GiB: boot from a new volume made from the image (deleted with the server). */
  bootVolumeSize?: number | undefined;
}

/** The server this job created in `cloud` under `name`, if any (found by the job tag). */
export async function findJobServer(deps: WorkflowDeps, ctx: StepContext<unknown>, cloud: string, name: string) {
  const os = deps.openstack(cloud, ctx);
  const list = await os.compute.listAllServers({ filters: { name: exactNameFilter(name) } });
  return list.find((s) => s.name === name && s.metadata[SNAPFLOW_TAGS.job] === ctx.job.id);
}

function isQuotaError(err: unknown): err is ForbiddenError | OverLimitError {
  return (err instanceof ForbiddenError || err instanceof OverLimitError) && /quota/i.test(err.serverMessage ?? '');
}

export function createServerSpec(spec: NewServerSpec, jobId: string): CreateServerSpec {
  return {
    name: spec.name,
    flavor: spec.flavor,
    networks: spec.network,
    metadata: { ...spec.metadata, [SNAPFLOW_TAGS.job]: jobId },
    ...(spec.keyName ? { keyName: spec.keyName } : {}),
    ...(spec.availabilityZone ? { availabilityZone: spec.availabilityZone } : {}),
    ...(spec.bootVolumeSize !== undefined
      ? {
          blockDeviceMappingV2: [
            {
              boot_index: 0,
              uuid: spec.imageId,
              source_type: 'image',
              destination_type: 'volume',
              volume_size: spec.bootVolumeSize,
              delete_on_termination: true,
            },
          ],
        }
      : { imageRef: spec.imageId }),
  };
}

export function createServerStep<C extends Fields>(deps: WorkflowDeps, spec: (context: C) => NewServerSpec): Step<C, CreateServerOutput> {
  return step({
    name: 'create-server',
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output: createServerOutput,
    mutating: true,
    retry: RETRY.serverAction,
    timeout: 120_000,
    async run(ctx) {
      const s = spec(ctx.input);
      const found = await findJobServer(deps, ctx, s.cloud, s.name);
      if (found) {
        ctx.log.info('create-server: reusing the server an earlier attempt created', { jobId: ctx.job.id, serverId: found.id });
        return done({ newServerId: found.id, newServerName: found.name, newServerRequestedAt: deps.now() });
      }
      try {
        const { id } = await deps.openstack(s.cloud, ctx).compute.createServer(createServerSpec(s, ctx.job.id));
        return done({ newServerId: id, newServerName: s.name, newServerRequestedAt: deps.now() });
      } catch (err) {
        if (isQuotaError(err))
          return fail(permanent(`no room for the new server in cloud "${s.cloud}": ${err.serverMessage}`, { code: 'quota_exceeded', cause: err }));
        throw err;
      }
    },
  });
}
