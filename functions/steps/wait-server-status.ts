// Poll the server until it reaches a status (SHUTOFF after a stop, ACTIVE after a start,
// ACTIVE or SHUTOFF after a rebuild). Never sleeps: returns wait() and the engine comes
// back. The deadline counts from the context key the mutating step recorded.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { serverImageId, taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, serverOutcome } from '../../shared/openstack/outcomes';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, overdue, permanent, scaledRetry, scaledWait } from '../workflows/step-support';

export interface WaitServerOptions {
  name: string;
  /** Fixed status, or read from the context (e.g. the rebuild keeps SHUTOFF servers SHUTOFF). */
  want: 'ACTIVE' | 'SHUTOFF' | ((input: Record<string, unknown>) => 'ACTIVE' | 'SHUTOFF');
  /** Context key holding the epoch ms the transition was requested at. */
  sinceKey: string;
  /** Run only when this context key is true (e.g. only when this job stopped the server). */
  onlyIf?: string;
  /** Deadline (default config.serverWaitMs). */
  limitMs?: (input: Record<string, unknown>) => number;
}

const input = z.looseObject({ cloud: z.string(), serverId: z.string() });

export function waitServerStatusStep(deps: WorkflowDeps, opts: WaitServerOptions) {
  const policy = scaledWait(deps, { baseMs: 1_000, maxMs: 30_000 });
  return defineStep({
    name: opts.name,
    input,
    retry: scaledRetry(deps, { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 10 }),
    wait: policy,
    timeout: 60_000,
    async run(ctx) {
      const inp = ctx.input as Record<string, unknown> & z.infer<typeof input>;
      if (opts.onlyIf && inp[opts.onlyIf] !== true) return done();
      const want = typeof opts.want === 'function' ? opts.want(inp) : opts.want;
      const since = typeof inp[opts.sinceKey] === 'number' ? (inp[opts.sinceKey] as number) : (ctx.job.startedAt ?? deps.now());
      // Nova's stop/start/rebuild are asynchronous: a read right after the request only ever
      // shows the old status (measured: 2 wasted calls, a GET and the version document, per
      // transition). The first read comes one wait period later.
      if (deps.now() - since < (policy.baseMs ?? 0)) return wait({ reason: `${want} requested, first check in ${policy.baseMs} ms` });
      const os = deps.openstack(inp.cloud, ctx);
      const server = await orNull(os.compute.getServer(inp.serverId));
      const outcome = serverOutcome(server, want);
      // The read that saw the status also says which image the server runs: verify-server-image uses it.
      if (outcome === 'ready') return done(server ? { observedImageId: serverImageId(server) ?? null, observedStatus: server.status } : {});
      if (isFailed(outcome)) return fail(permanent(outcome.failed, { code: 'server_state' }));
      const limit = opts.limitMs ? opts.limitMs(inp) : deps.config.serverWaitMs;
      const now = server ? `${server.status}${taskState(server) ? `/${taskState(server)}` : ''}` : 'gone';
      if (overdue(deps, since, limit)) {
        return fail(permanent(`server ${inp.serverId} did not reach ${want} within ${minutes(limit)} (still ${now})`, { code: 'server_timeout' }));
      }
      return wait({ reason: `server ${inp.serverId} ${now}, waiting for ${want}` });
    },
  });
}
