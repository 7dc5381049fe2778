// What POST /v1/jobs checks against the world before queueing a job, so a caller hears at
// once what would otherwise only show up as a failed job: an unknown cloud (400), an
// unknown or ambiguous server (404 / 409), a server another job is busy with (409).
// Best effort: when the cloud does not answer, the job is queued and its own retries and
// deadline take over — an outage must not turn into rejected submissions.
import type { OpenStackClient } from '../shared/openstack/client';
import { ConflictError, NotFoundError } from '../shared/openstack/errors';
import { TERMINAL_STATES, type JobStore } from '../shared/jobs/types';
import { serverLockKey } from '../shared/workflows/params';
import type { JobRequestBase } from './http/app-deps';
import { ApiError, badRequest } from './http/envelope';

export interface PreflightDeps {
  hasCloud(name: string): boolean;
  /** Why a configured cloud is unusable (a broken clouds.yaml entry), else undefined. */
  cloudProblem?(name: string): string | undefined;
  openstack(cloud: string): OpenStackClient;
  store: Pick<JobStore, 'listJobs'>;
}

/**
 * The newest jobs of a lock key: jobs of one key run oldest first, so an unfinished one is
 * always among the newest unless dozens were queued behind it.
 */
const RECENT = 20;

export function createSubmitPreflight(deps: PreflightDeps): (req: JobRequestBase) => Promise<void> {
  return async (req) => {
    const problem = deps.cloudProblem?.(req.cloud);
    if (problem) throw badRequest('cloud_unusable', `cloud: "${req.cloud}" is configured but unusable: ${problem}`, 'cloud');
    if (!deps.hasCloud(req.cloud)) throw badRequest('unknown_cloud', `cloud: "${req.cloud}" is not a configured cloud`, 'cloud');
    if (typeof req.server !== 'string') return;
    const server = req.server;
    const recent = await deps.store.listJobs({ lockKey: serverLockKey({ cloud: req.cloud, server }), limit: RECENT });
    const busy = recent.find((j) => !TERMINAL_STATES.includes(j.state));
    if (busy) {
      throw new ApiError(409, 'server_busy', `server "${server}" is busy with ${busy.kind} job ${busy.id} (${busy.state}); submit again when it has ended`, {
        field: 'server',
        details: { jobId: busy.id, kind: busy.kind, state: busy.state, wait: `/v1/jobs/${encodeURIComponent(busy.id)}/wait` },
      });
    }
    try {
      await deps.openstack(req.cloud).compute.resolveServer(server);
    } catch (err) {
      if (err instanceof NotFoundError) throw new ApiError(404, 'server_not_found', `server: no server "${server}" in cloud "${req.cloud}"`, { field: 'server' });
      // several servers share the name: Nova's name is not unique, ids are
      if (err instanceof ConflictError) throw new ApiError(409, 'server_ambiguous', `server: ${err.serverMessage ?? err.message}; use the server id`, { field: 'server' });
      // unreachable cloud, 5xx, auth trouble: let the job try (it reports exactly what fails)
    }
  };
}
