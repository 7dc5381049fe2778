// Cleanup of a clone, move or rename that failed or was cancelled before its new server
// was ACTIVE: delete that server (by its id, or by the job tag when the create's answer
// was lost), then wait until Nova no longer has it, so the quota and the name are free
// before the source is started again.
import { z } from 'zod';
import { done, wait } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { POLL, RETRY } from '../workflows/step-support';
import { findJobServer } from './create-server';

const output = z.object({ deletedNewServer: z.string().nullable() });

export function deleteNewServerStep<C extends Fields>(
  deps: WorkflowDeps,
  where: (context: C) => { cloud: string; name: string; serverId?: string | undefined },
): Step<C, z.infer<typeof output>> {
  return step({
    name: 'cleanup-delete-new-server',
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output,
    mutating: true,
    retry: RETRY.delete,
    wait: POLL.serverTransition,
    timeout: 120_000,
    async run(ctx) {
      const { cloud, name, serverId } = where(ctx.input);
      const os = deps.openstack(cloud, ctx);
      const server = serverId ? await orNull(os.compute.getServer(serverId)) : await findJobServer(deps, ctx, cloud, name);
      if (!server || server.status === 'DELETED') return done({ deletedNewServer: serverId ?? null });
      if (taskState(server) !== 'deleting') await orNull(os.compute.deleteServer(server.id));
      return wait({ reason: `new server ${server.id} deleting` });
    },
  });
}
