// Poll the server create-server made until Nova says ACTIVE. ERROR (with Nova's fault
// message), a vanished server and the deadline (config.serverWaitMs from the create) fail
// the job, whose cleanup then deletes that server.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, serverOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

const output = z.object({ newServerStatus: z.string(), newServerActiveAt: z.number() });

export interface NewServerRef {
  cloud: string;
  serverId: string;
  requestedAt: number;
}

export function waitNewServerStep<C extends Fields>(deps: WorkflowDeps, ref: (context: C) => NewServerRef): Step<C, z.infer<typeof output>> {
  return step({
    name: 'wait-new-server',
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output,
    retry: RETRY.poll,
    wait: POLL.serverTransition,
    timeout: 60_000,
    async run(ctx) {
      const { cloud, serverId, requestedAt } = ref(ctx.input);
      // A build takes seconds at least: the first read comes one wait period after the create.
      const firstCheck = ctx.scaled(POLL.serverTransition.baseMs);
      if (deps.now() - requestedAt < firstCheck) return wait({ reason: `server ${serverId} requested, first check in ${firstCheck} ms` });
      const server = await orNull(deps.openstack(cloud, ctx).compute.getServer(serverId));
      const outcome = serverOutcome(server, 'ACTIVE');
      if (outcome === 'ready') return done({ newServerStatus: 'ACTIVE', newServerActiveAt: deps.now() });
      if (isFailed(outcome)) return fail(permanent(`the new server: ${outcome.failed}`, { code: 'new_server_failed' }));
      const now = server ? `${server.status}${taskState(server) ? `/${taskState(server)}` : ''}` : 'gone';
      const limit = deps.config.serverWaitMs;
      if (overdue(deps, requestedAt, limit)) {
        return fail(permanent(`the new server ${serverId} did not become ACTIVE within ${minutes(limit)} (still ${now})`, { code: 'server_timeout' }));
      }
      await ctx.heartbeat({ phase: `new server ${now}` });
      return wait({ reason: `new server ${serverId} ${now}, waiting for ACTIVE` });
    },
  });
}
