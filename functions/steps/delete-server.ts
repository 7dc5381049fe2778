// Delete a server (the source of a rename or move, once what replaces it is safe). One
// DELETE; a server already gone or being deleted (an earlier attempt's) is not deleted
// again. wait-server-gone follows it. Destructive: the workflows place it only behind
// `confirm` and after the copy it protects exists.
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { RETRY } from '../workflows/step-support';

const output = z.object({ sourceDeleteRequestedAt: z.number() });

export function deleteServerStep<C extends Fields>(
  deps: WorkflowDeps,
  target: (context: C) => { cloud: string; serverId: string },
  name = 'delete-source',
): Step<C, z.infer<typeof output>> {
  return step({
    name,
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output,
    mutating: true,
    retry: RETRY.serverAction,
    timeout: 120_000,
    async run(ctx) {
      const { cloud, serverId } = target(ctx.input);
      const os = deps.openstack(cloud, ctx);
      const server = await orNull(os.compute.getServer(serverId));
      if (server && server.status !== 'DELETED' && taskState(server) !== 'deleting') await orNull(os.compute.deleteServer(serverId));
      return done({ sourceDeleteRequestedAt: deps.now() });
    },
  });
}
