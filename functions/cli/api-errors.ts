// Turns a failed request into one line for stderr and an exit code: the service's
// envelope {"error":{"code","message","field","details","requestId"}} says what was wrong;
// this says it in the terms of the command line (which field, which job holds the server).

import type { ErrorJson } from './api-types';
import { CliError } from './cli-error';
import { EXIT } from './exit-codes';

export interface RequestContext {
  /** base URL of the service */
  url: string;
  /** where the token came from (null: none was given) */
  tokenSource: string | null;
  /** the job kind being submitted, to name it when the service does not know it */
  kind?: string;
}

function envelopeOf(body: unknown): ErrorJson['error'] | null {
  if (typeof body !== 'object' || body === null) return null;
  const e = (body as { error?: unknown }).error;
  if (typeof e !== 'object' || e === null) return null;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' ? (e as ErrorJson['error']) : null;
}

/** The message, prefixed with the field it is about unless it already starts with it. */
function withField(e: ErrorJson['error']): string {
  if (!e.field || e.message.startsWith(`${e.field}:`) || e.message.startsWith(`${e.field} `)) return e.message;
  return `${e.field}: ${e.message}`;
}

function busyJob(e: ErrorJson['error']): string | null {
  const d = e.details as { jobId?: unknown } | undefined;
  return typeof d?.jobId === 'string' ? d.jobId : null;
}

export function httpError(status: number, body: unknown, ctx: RequestContext, path: string): CliError {
  const e = envelopeOf(body);
  if (e === null) {
    return new CliError(EXIT.serviceError, `unexpected reply from ${ctx.url}${path}: HTTP ${status} (not snapflow's API? check SNAPFLOW_URL)`);
  }
  if (status === 401) {
    const hint =
      ctx.tokenSource === null
        ? 'no token given: set SNAPFLOW_TOKEN, --token-file, or token/tokenFile in the config file'
        : `check the token from ${ctx.tokenSource}`;
    return new CliError(EXIT.auth, `not authenticated (401): ${e.message}; ${hint}`, body);
  }
  // the service's 403 names the token and the target it may not touch
  if (status === 403) return new CliError(EXIT.auth, `forbidden (403): ${e.message}`, body);
  if (status === 400 && e.field === 'kind' && (e.code === 'unknown_kind' || e.code === 'invalid_body')) {
    const kind = ctx.kind ? `"${ctx.kind}" ` : '';
    return new CliError(EXIT.rejected, `job kind ${kind}is not available on the service at ${ctx.url} (400 ${e.code}: ${e.message})`, body);
  }
  if (status === 409 && e.code === 'server_busy') {
    const job = busyJob(e);
    const hint = job === null ? '' : ` (snapflow wait ${job})`;
    return new CliError(EXIT.rejected, `conflict (409): ${e.message}${job !== null && !e.message.includes(job) ? `: job ${job}` : ''}${hint}`, body);
  }
  if (status >= 500) {
    const rid = e.requestId && !e.message.includes(e.requestId) ? ` (request id ${e.requestId})` : '';
    return new CliError(EXIT.serviceError, `service error (${status} ${e.code}): ${e.message}${rid}`, body);
  }
  const what = status === 404 ? 'not found' : status === 409 ? 'conflict' : status === 400 ? 'invalid request' : 'rejected';
  return new CliError(EXIT.rejected, `${what} (${status} ${e.code}): ${withField(e)}`, body);
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** fetch rejected: the service is not there, or did not answer in time. */
export function networkError(err: unknown, ctx: RequestContext, timeoutMs: number): CliError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') {
    return new CliError(EXIT.unreachable, `no answer from the snapflow service at ${ctx.url} within ${Math.round(timeoutMs / 1000)} s`);
  }
  const code = e.cause?.code;
  const why = code ? `${NETWORK_WORDS[code] ?? code}` : (e.cause?.message ?? e.message ?? String(err));
  return new CliError(EXIT.unreachable, `cannot reach the snapflow service at ${ctx.url}: ${why} (set SNAPFLOW_URL or --url)`);
}
