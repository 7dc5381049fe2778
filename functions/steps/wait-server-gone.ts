// Poll a deleted server until Nova answers 404 (or DELETED), so what comes next (the DNS
// expiry, a new server with the same name) starts from a server that no longer exists.
// Deadline: config.serverWaitMs from the delete; ERROR while deleting fails the job.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const output = z.object({ sourceGoneAt: z.number() });

export function waitServerGoneStep<C extends Fields>(
  deps: WorkflowDeps,
  target: (context: C) => { cloud: string; serverId: string; since: number },
  name = 'wait-source-gone',
): Step<C, z.infer<typeof output>> {
  return step({
    name,
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output,
    retry: RETRY.poll,
    wait: POLL.serverTransition,
    timeout: 60_000,
    async run(ctx) {
      const { cloud, serverId, since } = target(ctx.input);
      const server = await orNull(deps.openstack(cloud, ctx).compute.getServer(serverId));
      if (!server || server.status === 'DELETED') return done({ sourceGoneAt: deps.now() });
      if (server.status === 'ERROR' && taskState(server) === null) {
        return fail(permanent(`server ${serverId} went to ERROR instead of being deleted`, { code: 'delete_failed' }));
      }
      const limit = deps.config.serverWaitMs;
      if (overdue(deps, since, limit)) {
        return fail(permanent(`server ${serverId} still exists ${minutes(limit)} after its deletion (${server.status})`, { code: 'delete_timeout' }));
      }
      return wait({ reason: `server ${serverId} ${server.status}/${taskState(server) ?? '-'}, waiting until it is gone` });
    },
  });
}
