// Turns whatever a step threw (or handed to retry/fail) into a decision and a
// serialisable JobError. An error with the retry contract (errors.ts: `retryable`,
// `retryAfterMs`) decides for itself: snapflow's own errors and the OpenStack client's all
// carry it, so the engine needs no knowledge of their classes. Anything else (a socket
// error, fetch's TypeError, a bare throw) is classified by HTTP status, codes and the
// platform's timeout/abort names.
import { redactUrlSecrets } from '../config/redact-text';
import type { JobError } from '../jobs/types';
import { hasRetryContract } from './errors';

export type ErrorDecision = { action: 'fail'; error: JobError } | { action: 'retry'; error: JobError; afterMs?: number };

/** Returning undefined falls back to the default classification. */
export type ErrorClassifier = (err: unknown) => ErrorDecision | undefined;

const MESSAGE_MAX = 1000;
const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError', 'HeadersTimeoutError', 'BodyTimeoutError', 'ConnectTimeoutError']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

type Bag = Record<string, unknown>;

function asBag(err: unknown): Bag | null {
  return typeof err === 'object' && err !== null ? (err as Bag) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isTimeout(b: Bag): boolean {
  const code = str(b.code);
  return b.timeout === true || TIMEOUT_NAMES.has(String(b.name)) || code === 'ETIMEDOUT' || code === 'timeout';
}

function isNetwork(b: Bag): boolean {
  const code = str(b.code);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  if (b.network === true) return true;
  // undici/fetch wraps the socket error: TypeError('fetch failed', { cause })
  if (b.name === 'TypeError' && b.message === 'fetch failed') return true;
  const cause = asBag(b.cause);
  return cause !== null && cause !== b && isNetwork(cause);
}

/**
 * Serialisable, size-capped view of an error. Messages come from our own errors, which
 * never carry secrets; URLs in them are redacted once more because this is the one way
 * into the job table's errors and events.
 */
export function toJobError(err: unknown, fallbackCode = 'error'): JobError {
  const b = asBag(err);
  const rawMessage = redactUrlSecrets(b !== null && typeof b.message === 'string' ? b.message : String(err));
  const message = rawMessage.length > MESSAGE_MAX ? `${rawMessage.slice(0, MESSAGE_MAX)}…` : rawMessage;
  if (b === null) return { code: fallbackCode, message };
  const status = num(b.status);
  const out: JobError = { code: str(b.code) ?? (status !== undefined ? `http_${status}` : fallbackCode), message };
  const requestId = str(b.requestId);
  const service = str(b.service);
  if (requestId !== undefined) out.requestId = requestId;
  if (service !== undefined) out.service = service;
  if (status !== undefined) out.status = status;
  return out;
}

/**
 * The default policy: NonRetryableError → fail; RetryAfterError → retry after its delay;
 * HTTP-ish `status`: 408/409/429/5xx → retry (Retry-After honoured), other 4xx → fail;
 * timeouts and network errors → retry; anything else → retry (the step's maxAttempts and
 * the job deadline bound it).
 */
export function defaultClassifyError(err: unknown): ErrorDecision {
  if (hasRetryContract(err)) {
    if (!err.retryable) return { action: 'fail', error: toJobError(err, 'failed') };
    const afterMs = num(err.retryAfterMs);
    return afterMs !== undefined && afterMs > 0 ? { action: 'retry', error: toJobError(err), afterMs } : { action: 'retry', error: toJobError(err) };
  }
  const b = asBag(err);
  if (b === null) return { action: 'retry', error: toJobError(err) };
  const status = num(b.status);
  if (status !== undefined && status >= 400) {
    const retryAfterS = num(b.retryAfter);
    const afterMs = retryAfterS !== undefined && retryAfterS > 0 ? retryAfterS * 1000 : undefined;
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const error = toJobError(err);
      return afterMs === undefined ? { action: 'retry', error } : { action: 'retry', error, afterMs };
    }
    return { action: 'fail', error: toJobError(err) };
  }
  if (isTimeout(b)) return { action: 'retry', error: toJobError(err, 'timeout') };
  if (isNetwork(b)) return { action: 'retry', error: toJobError(err, 'network') };
  return { action: 'retry', error: toJobError(err) };
}

export function classifyWith(custom: ErrorClassifier | undefined, err: unknown): ErrorDecision {
  return custom?.(err) ?? defaultClassifyError(err);
}
