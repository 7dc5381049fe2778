import { redactUrlSecrets } from '../config/redact-text';
import { parseErrorMessage } from './error-body';

export type ServiceName = 'identity' | 'compute' | 'image' | 'volume';

export interface ErrorContext {
  service: ServiceName;
  method: string;
  /** Path without the query string (queries may carry names; never secrets, but keep errors short). */
  path: string;
  status?: number;
  requestId?: string;
  cause?: unknown;
}

/**
 * Base of every error the OpenStack client throws. Messages never contain secrets: the
 * client puts none in, and any URL in the text (a transport error's, or one a service
 * echoed back) loses its userinfo and query string here, where every message is built.
 */
export class OpenStackError extends Error {
  readonly service: ServiceName;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** The server's own message, parsed from the error body. */
  readonly serverMessage: string;
  /** Stable code for job records (`openstack.not_found`, ...). */
  readonly code: string = 'openstack.error';

  constructor(ctx: ErrorContext, rawServerMessage: string) {
    const serverMessage = redactUrlSecrets(rawServerMessage);
    const where = redactUrlSecrets(`${ctx.service} ${ctx.method} ${ctx.path}`);
    const status = ctx.status ? ` -> ${ctx.status}` : '';
    const rid = ctx.requestId ? ` [${ctx.requestId}]` : '';
    // no `cause`: undici's errors name the full URL, and loggers print causes
    super(`${where}${status}${rid}: ${serverMessage || 'no message'}`);
    this.name = new.target.name;
    this.service = ctx.service;
    this.method = ctx.method;
    this.path = ctx.path;
    this.status = ctx.status;
    this.requestId = ctx.requestId;
    this.serverMessage = serverMessage;
  }

  /**
   * Worth retrying the same call later (server side or transient). With `code`, this is the
   * engine's retry contract (shared/engine/errors.ts), so jobs need no knowledge of these classes.
   */
  get retryable(): boolean {
    return false;
  }
}

export class BadRequestError extends OpenStackError {
  override readonly code = 'openstack.bad_request';
}
export class UnauthorizedError extends OpenStackError {
  override readonly code = 'openstack.unauthorized';
}
export class ForbiddenError extends OpenStackError {
  override readonly code = 'openstack.forbidden';
}
export class NotFoundError extends OpenStackError {
  override readonly code = 'openstack.not_found';
}
export class ConflictError extends OpenStackError {
  override readonly code = 'openstack.conflict';
  override get retryable(): boolean {
    return true;
  }
}
export class OverLimitError extends OpenStackError {
  override readonly code = 'openstack.over_limit';
  /** Seconds from Retry-After, when the service sent one. */
  readonly retryAfter: number | undefined;
  constructor(ctx: ErrorContext, serverMessage: string, retryAfter: number | undefined) {
    super(ctx, serverMessage);
    this.retryAfter = retryAfter;
  }
  override get retryable(): boolean {
    return true;
  }
  /** The engine's retry contract (shared/engine/errors.ts): the server's Retry-After. */
  get retryAfterMs(): number | undefined {
    return this.retryAfter === undefined ? undefined : this.retryAfter * 1000;
  }
}
export class ServerError extends OpenStackError {
  override readonly code = 'openstack.server_error';
  override get retryable(): boolean {
    return true;
  }
}
export class OpenStackTimeoutError extends OpenStackError {
  override readonly code = 'openstack.timeout';
  override get retryable(): boolean {
    return true;
  }
}
export class OpenStackNetworkError extends OpenStackError {
  override readonly code = 'openstack.network';
  override get retryable(): boolean {
    return true;
  }
}
/**
 * The request could not even be made (the URL is malformed or carries credentials): a
 * configuration problem, not the network, so it is not retried.
 */
export class InvalidRequestError extends OpenStackError {
  override readonly code = 'openstack.invalid_request';
}
/** A response that does not match what the API documents (schema drift, bad proxy). */
export class InvalidResponseError extends OpenStackError {
  override readonly code = 'openstack.invalid_response';
}
/** Downloaded or uploaded bytes do not match Glance's checksum / os_hash_value. */
export class IntegrityError extends OpenStackError {
  override readonly code = 'openstack.integrity';
}

/** Request id as Nova, Cinder, Glance and Keystone send it. */
export function requestIdOf(headers: { get(name: string): string | null }): string | undefined {
  return headers.get('x-openstack-request-id') ?? headers.get('x-compute-request-id') ?? undefined;
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Builds the typed error for a non-2xx response from its status, headers and body text. */
export function errorFromResponse(
  ctx: Omit<ErrorContext, 'status' | 'requestId'>,
  status: number,
  headers: { get(name: string): string | null },
  body: string,
): OpenStackError {
  const full: ErrorContext = { ...ctx, status, requestId: requestIdOf(headers) };
  const message = parseErrorMessage(body, headers.get('content-type'));
  switch (status) {
    case 400:
      return new BadRequestError(full, message);
    case 401:
      return new UnauthorizedError(full, message);
    case 403: {
      // Nova answers quota exhaustion with 403 + "Quota exceeded"; that is an over-limit.
      if (/quota exceeded/i.test(message)) return new OverLimitError(full, message, parseRetryAfter(headers.get('retry-after')));
      return new ForbiddenError(full, message);
    }
    case 404:
      return new NotFoundError(full, message);
    case 409:
      return new ConflictError(full, message);
    case 413:
    case 429:
      return new OverLimitError(full, message, parseRetryAfter(headers.get('retry-after')));
    default:
      if (status >= 500) return new ServerError(full, message);
      return new OpenStackError(full, message);
  }
}
