// What POST /v1/jobs checks against the world before queueing a job, so a caller hears at
// once what would otherwise only show up as a failed job: an unknown cloud (400), an
// unknown or ambiguous server (404 / 409), a move of a Windows guest (422), a discard of a server snapflow
// did not make (422), a move keeping the hostname where DNS cannot be asked (400). It also
// resolves the server, so the job locks on `<cloud>/<server id>` however the caller
// spelled the server (name or id): two jobs naming one VM differently must not run at
// once. Whether another job is busy with the server is not checked here: the insert
// itself refuses atomically (store.insertUnlessLocked), which a check before it could not
// do for racing submissions.
// Best effort: when the cloud does not answer, the job is queued and its own retries and
// deadline take over — an outage must not turn into rejected submissions. Such a job locks
// on the server as typed (`<cloud>/<name or id>`): given as the id, that is the exact key;
// given as a name, it is NOT serialised against jobs that lock on the server's id (the
// known limit: only Nova's 409 on conflicting actions stands between them then).

import type { Job } from '../shared/jobs/types';
import type { OpenStackClient } from '../shared/openstack/client';
import type { Server } from '../shared/openstack/compute-schemas';
import { ConflictError, NotFoundError } from '../shared/openstack/errors';
import { ApiError, badRequest } from './http/envelope';
import { sourceImageOsType, sourceRefusal } from './steps/resolve-source';
import { serverLockKey } from './workflows/params';
import { SNAPFLOW_TAGS } from './workflows/tags';

/** The least every job request has: the discriminator and the target. */
export interface JobRequestBase {
  kind: string;
  cloud: string;
  server?: string;
  [field: string]: unknown;
}

/** The lock a submission takes once its target is resolved (e.g. the server's id, and its name as the alias). */
export interface ResolvedLock {
  lockKey: string;
  lockAlias?: string;
}

export interface PreflightDeps {
  hasCloud(name: string): boolean;
  /** Whether this deployment can ask DNS (a move that keeps the hostname waits for the old name to expire). */
  canResolveHostnames?: boolean;
  /** Why a configured cloud is unusable (a broken clouds.yaml entry), else undefined. */
  cloudProblem?(name: string): string | undefined;
  openstack(cloud: string): OpenStackClient;
}

function checkCloud(deps: PreflightDeps, cloud: string, field: string): void {
  const problem = deps.cloudProblem?.(cloud);
  if (problem) throw badRequest('cloud_unusable', `${field}: "${cloud}" is configured but unusable: ${problem}`, field);
  if (!deps.hasCloud(cloud)) throw badRequest('unknown_cloud', `${field}: "${cloud}" is not a configured cloud`, field);
}

/** Clone, move and rename: a source the chain must not copy is refused now rather than after a snapshot. */
async function checkSource(deps: PreflightDeps, req: JobRequestBase, server: Server): Promise<void> {
  if (!COPY_KINDS.has(req.kind)) return;
  // best effort: an image or volume that cannot be read says nothing about the guest
  const osType = req.kind === 'move' ? await sourceImageOsType(deps.openstack(req.cloud), server).catch(() => undefined) : undefined;
  const refused = sourceRefusal(server, req.kind, osType);
  if (refused) throw new ApiError(422, refused.code, `server: ${refused.message}`, { field: 'server' });
}

const COPY_KINDS = new Set(['clone', 'move', 'rename']);

/** Discard: a server without snapflow's tag is refused now (the job proves the rest: which clone made it). */
function checkDiscard(req: JobRequestBase, server: Server): void {
  if (req.kind !== 'discard' || server.metadata[SNAPFLOW_TAGS.job]) return;
  throw new ApiError(
    422,
    'not_made_by_snapflow',
    `server: ${server.id} (${server.name}) was not made by snapflow (no ${SNAPFLOW_TAGS.job} metadata): discard deletes only servers a clone made`,
    { field: 'server' },
  );
}

export function createSubmitPreflight(deps: PreflightDeps): (req: JobRequestBase) => Promise<ResolvedLock | undefined> {
  return async (req) => {
    checkCloud(deps, req.cloud, 'cloud');
    const to = req.to as { cloud?: unknown } | undefined;
    if (to && typeof to.cloud === 'string') checkCloud(deps, to.cloud, 'to.cloud');
    if (req.keepHostname === true && !deps.canResolveHostnames) {
      throw badRequest(
        'dns_unavailable',
        'keepHostname: this deployment cannot ask DNS whether the old name has expired (no resolver; on Workers node:dns does not exist)',
        'keepHostname',
      );
    }
    if (typeof req.server !== 'string') return undefined;
    // the server of a clone still running may not exist yet: the job waits for that clone
    if (req.kind === 'discard' && req.fromJob !== undefined) return undefined;
    const server = req.server;
    let found: Server;
    try {
      found = await deps.openstack(req.cloud).compute.resolveServer(server);
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new ApiError(404, 'server_not_found', `server: no server "${server}" in cloud "${req.cloud}"`, { field: 'server' });
      // several servers share the name: Nova's name is not unique, ids are
      if (err instanceof ConflictError)
        throw new ApiError(409, 'server_ambiguous', `server: ${err.serverMessage ?? err.message}; use the server id`, { field: 'server' });
      // unreachable cloud, 5xx, auth trouble: let the job try (it reports exactly what fails)
      return undefined;
    }
    await checkSource(deps, req, found);
    checkDiscard(req, found);
    return {
      lockKey: serverLockKey({ cloud: req.cloud, server: found.id }),
      lockAlias: serverLockKey({ cloud: req.cloud, server: found.name }),
    };
  };
}

/** The 409 for a submission refused because `holder` (another job) is busy with the server. */
export function serverBusyError(server: string, holder: Job): ApiError {
  return new ApiError(409, 'server_busy', `server "${server}" is busy with ${holder.kind} job ${holder.id} (${holder.state}); submit again when it has ended`, {
    field: 'server',
    details: { jobId: holder.id, kind: holder.kind, state: holder.state, wait: `/v1/jobs/${encodeURIComponent(holder.id)}/wait` },
  });
}
