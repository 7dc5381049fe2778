// Resolve the `server` param (id or exact name, in the cloud entry's project) and record
// what later steps need. Read-only; a server in a transitional state is waited for.
import { z } from 'zod';
import type { StepContext } from '../../shared/engine/define';
import { done, type FailResult, fail, type WaitResult, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { isVolumeBacked, type Server } from '../../shared/openstack/compute-schemas';
import { ConflictError } from '../../shared/openstack/errors';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, onCloud, overdue, POLL, permanent, RETRY } from '../workflows/step-support';

export const resolveServerInput = z.object({ cloud: z.string(), server: z.string() });

export const resolvedServer = z.object({
  serverId: z.string(),
  serverName: z.string(),
  serverStatus: z.string(),
  volumeBacked: z.boolean(),
  projectId: z.string().nullable(),
});

const TRANSITIONAL = new Set(['BUILD', 'REBUILD', 'REBOOT', 'HARD_REBOOT', 'MIGRATING', 'RESIZE', 'REVERT_RESIZE', 'PASSWORD']);

export interface ResolveServerOptions {
  /** Statuses the workflow can work from; omitted: any status. */
  accept?: readonly string[];
}

/** The server the job names, or the result that ends this run (busy: wait; ambiguous or wrong state: fail). */
export async function lookUpServer(
  deps: WorkflowDeps,
  ctx: StepContext<{ cloud: string; server: string }>,
  opts: ResolveServerOptions,
): Promise<{ server: Server } | { end: WaitResult | FailResult }> {
  let server: Server;
  try {
    server = await onCloud(deps, ctx).compute.resolveServer(ctx.input.server);
  } catch (err) {
    // Two servers with the same name is not transient (the client reports it as a conflict without a status).
    if (err instanceof ConflictError && err.status === undefined) {
      const end = fail(
        permanent(`server ${JSON.stringify(ctx.input.server)} is ambiguous: ${err.serverMessage}; use its id`, { code: 'ambiguous_server', cause: err }),
      );
      return { end };
    }
    throw err;
  }
  const status = server.status;
  if (opts.accept && !opts.accept.includes(status)) {
    if (TRANSITIONAL.has(status)) {
      const since = ctx.job.startedAt ?? deps.now();
      if (overdue(deps, since, deps.config.serverWaitMs)) {
        return { end: fail(permanent(`server ${server.id} still ${status} after ${minutes(deps.config.serverWaitMs)}`, { code: 'server_busy' })) };
      }
      return { end: wait({ reason: `server ${server.id} is ${status}` }) };
    }
    return { end: fail(permanent(`server ${server.id} is ${status}; this job needs it ${opts.accept.join(' or ')}`, { code: 'server_state' })) };
  }
  return { server };
}

/** What resolve-server records of a server. */
export function resolvedFields(server: Server): z.infer<typeof resolvedServer> {
  return {
    serverId: server.id,
    serverName: server.name,
    serverStatus: server.status,
    volumeBacked: isVolumeBacked(server),
    projectId: server.tenant_id ?? null,
  };
}

export function resolveServerStep(deps: WorkflowDeps, opts: ResolveServerOptions = {}) {
  return step({
    name: 'resolve-server',
    input: resolveServerInput,
    output: resolvedServer,
    readOnly: true,
    retry: RETRY.read,
    wait: POLL.busy,
    timeout: 120_000,
    async run(ctx) {
      const found = await lookUpServer(deps, ctx, opts);
      if ('end' in found) return found.end;
      return done(resolvedFields(found.server));
    },
  });
}
