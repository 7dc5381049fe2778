// Poll the server until it reaches a status (SHUTOFF after a stop, ACTIVE after a start,
// ACTIVE or SHUTOFF after a rebuild). Never sleeps: returns wait() and the engine comes
// back. The deadline counts from the moment the mutating step before it asked for the
// transition, which the workflow names with a typed selector over its context.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { serverImageId, taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, serverOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

type Want = 'ACTIVE' | 'SHUTOFF';

export interface WaitServerOptions<C> {
  name: string;
  /** Fixed status, or read from the context (e.g. the rebuild keeps SHUTOFF servers SHUTOFF). */
  want: Want | ((context: C) => Want);
  /** When the transition was requested (epoch ms), from the context. */
  since: (context: C) => number | undefined;
  /** Deadline (default config.serverWaitMs). */
  limitMs?: (context: C) => number;
}

const needs = z.looseObject({ cloud: z.string(), serverId: z.string() });
const output = z.object({ observedImageId: z.string().nullable().optional(), observedStatus: z.string().optional() });

export function waitServerStatusStep<C extends { cloud: string; serverId: string }>(deps: WorkflowDeps, opts: WaitServerOptions<C>) {
  return step({
    name: opts.name,
    // The workflow's whole context passes through (looseObject): the selectors read it.
    input: needs as unknown as z.ZodType<C, C>,
    output,
    retry: RETRY.poll,
    wait: POLL.serverTransition,
    timeout: 60_000,
    async run(ctx) {
      const c = ctx.input;
      const want = typeof opts.want === 'function' ? opts.want(c) : opts.want;
      const since = opts.since(c) ?? ctx.job.startedAt ?? deps.now();
      // Nova's stop/start/rebuild are asynchronous: a read right after the request only ever
      // shows the old status. The first read comes one wait period later.
      const firstCheck = ctx.scaled(POLL.serverTransition.baseMs);
      if (deps.now() - since < firstCheck) return wait({ reason: `${want} requested, first check in ${firstCheck} ms` });
      const server = await orNull(onCloud(deps, ctx).compute.getServer(c.serverId));
      const outcome = serverOutcome(server, want);
      // The read that saw the status also says which image the server runs: verify-server-image uses it.
      if (outcome === 'ready') return done(server ? { observedImageId: serverImageId(server) ?? null, observedStatus: server.status } : {});
      if (isFailed(outcome)) return fail(permanent(outcome.failed, { code: 'server_state' }));
      const limit = opts.limitMs ? opts.limitMs(c) : deps.config.serverWaitMs;
      const now = server ? `${server.status}${taskState(server) ? `/${taskState(server)}` : ''}` : 'gone';
      if (overdue(deps, since, limit)) {
        return fail(permanent(`server ${c.serverId} did not reach ${want} within ${minutes(limit)} (still ${now})`, { code: 'server_timeout' }));
      }
      return wait({ reason: `server ${c.serverId} ${now}, waiting for ${want}` });
    },
  });
}
