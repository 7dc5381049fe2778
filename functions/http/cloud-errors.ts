// How a route that reads a cloud on the caller's behalf answers the cloud's failures: the
// caller's mistakes are 4xx naming the field (unknown cloud, unknown or ambiguous server),
// the cloud's own trouble (login refused, 5xx, unreachable) is a 502 carrying the cloud's
// request id, so nothing a cloud does turns into a 500.
import { NonRetryableError } from '../../shared/engine/errors';
import { ConflictError, NotFoundError, OpenStackError } from '../../shared/openstack/errors';
import { ApiError, badRequest } from './envelope';

export function cloudReadError(err: unknown, q: { cloud: string; server?: string | undefined }): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof NonRetryableError && (err.code === 'unknown_cloud' || err.code === 'cloud_unusable')) {
    return badRequest(err.code, `cloud: "${q.cloud}" ${err.code === 'unknown_cloud' ? 'is not a configured cloud' : 'is not usable'}`, 'cloud');
  }
  if (q.server !== undefined && err instanceof NotFoundError && err.service === 'compute') {
    return new ApiError(404, 'server_not_found', `server: no server "${q.server}" in cloud "${q.cloud}"`, { field: 'server' });
  }
  if (q.server !== undefined && err instanceof ConflictError && err.service === 'compute') {
    return new ApiError(409, 'server_ambiguous', `server: ${err.serverMessage || err.message}; use the server id`, { field: 'server' });
  }
  if (err instanceof OpenStackError) {
    const status = err.status === undefined ? 'did not answer' : `answered ${err.status}`;
    const rid = err.requestId ? ` (request id ${err.requestId})` : '';
    return new ApiError(502, 'cloud_error', `cloud "${q.cloud}": ${err.service} ${status}${rid}: ${err.serverMessage || err.code}`, {
      details: { service: err.service, status: err.status ?? null, code: err.code, ...(err.requestId ? { requestId: err.requestId } : {}) },
    });
  }
  return err;
}
