import type { z } from 'zod';
import {
  errorFromResponse,
  InvalidRequestError,
  InvalidResponseError,
  OpenStackError,
  OpenStackNetworkError,
  OpenStackTimeoutError,
  requestIdOf,
  type ServiceName,
} from './errors';
import type { CallObserver, Transport } from './transport';

// One HTTP exchange with an OpenStack service: timeout, typed errors, the onCall hook.
// Auth (token header, re-auth on 401) is layered on top in service-client.ts.

export interface HttpOptions {
  transport: Transport;
  onCall?: CallObserver;
  userAgent?: string;
  /** Whole-request deadline for JSON calls (byte transfers use the transport's own timeouts). */
  requestTimeoutMs?: number;
}

export interface SendRequest {
  service: ServiceName;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  /** Statuses other than 2xx that the caller handles itself (e.g. 404 for "find"). */
  okStatuses?: number[];
}

export interface SendResult {
  status: number;
  headers: Headers;
  text: string;
  requestId: string | undefined;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/** The path of a URL: no userinfo, no query string (neither may reach a message). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    const noQuery = url.split(/[?#]/)[0] ?? '';
    return noQuery.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
  }
}

export async function send(opts: HttpOptions, req: SendRequest): Promise<SendResult> {
  const path = pathOf(req.url);
  const headers: Record<string, string> = { Accept: 'application/json', ...req.headers };
  if (opts.userAgent) headers['User-Agent'] = opts.userAgent;
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  let response: Response;
  let text: string;
  try {
    response = await opts.transport.fetch(req.url, {
      method: req.method,
      headers,
      body: req.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    notify(opts, req.service, req.method, path, 0, undefined, started);
    throw transportError(err, { service: req.service, method: req.method, path }, timeoutMs);
  }
  const requestId = requestIdOf(response.headers);
  notify(opts, req.service, req.method, path, response.status, requestId, started);
  const ok = (response.status >= 200 && response.status < 300) || (req.okStatuses ?? []).includes(response.status);
  if (!ok) throw errorFromResponse({ service: req.service, method: req.method, path }, response.status, response.headers, text);
  return { status: response.status, headers: response.headers, text, requestId };
}

export function notify(
  opts: Pick<HttpOptions, 'onCall'>,
  service: ServiceName,
  method: string,
  path: string,
  status: number,
  requestId: string | undefined,
  started: number,
): void {
  if (!opts.onCall) return;
  try {
    opts.onCall({ service, method, path, status, requestId, durationMs: Date.now() - started });
  } catch {
    // An observer must never break the call it observes.
  }
}

const BAD_URL = /URL that includes credentials|Failed to parse URL|Invalid URL/i;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Maps fetch/undici failures (which wrap the real reason in `cause`) to Timeout or Network;
 * a request that could not be built at all (fetch's TypeError for a malformed URL or one
 * with credentials) to InvalidRequest, which is not retried. Messages are redacted by
 * OpenStackError: undici's own name the full URL.
 */
export function transportError(err: unknown, ctx: { service: ServiceName; method: string; path: string }, timeoutMs?: number): OpenStackError {
  if (err instanceof OpenStackError) return err;
  const chain: unknown[] = [];
  for (let e: unknown = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const names = chain.map((e) => String((e as { name?: unknown }).name ?? ''));
  const codes = chain.map((e) => String((e as { code?: unknown }).code ?? ''));
  const detail = chain
    .map((e) => (e instanceof Error ? e.message : String(e)))
    .filter(Boolean)
    .join(': ');
  const first = chain[0] as { name?: unknown; message?: unknown } | undefined;
  // only fetch's own words for an unusable URL: Workers' fetch also throws TypeErrors for
  // plain network trouble, which must stay retryable
  if (first?.name === 'TypeError' && BAD_URL.test(String(first.message))) {
    return new InvalidRequestError(ctx, `the request could not be made (${detail})`);
  }
  if (names.includes('TimeoutError') || codes.some((c) => TIMEOUT_CODES.has(c))) {
    const after = timeoutMs && names.includes('TimeoutError') ? ` after ${timeoutMs} ms` : '';
    return new OpenStackTimeoutError({ ...ctx, cause: err }, `timed out${after} (${detail})`);
  }
  return new OpenStackNetworkError({ ...ctx, cause: err }, detail || 'network error');
}

/** Parses a JSON body with a zod schema; drift becomes a typed error naming the call. */
export function parseJson<S extends z.ZodType>(schema: S, res: SendResult, ctx: { service: ServiceName; method: string; url: string }): z.infer<S> {
  let doc: unknown;
  try {
    doc = res.text ? JSON.parse(res.text) : undefined;
  } catch {
    throw new InvalidResponseError(
      { service: ctx.service, method: ctx.method, path: pathOf(ctx.url), status: res.status, requestId: res.requestId },
      'response is not JSON',
    );
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw new InvalidResponseError(
      { service: ctx.service, method: ctx.method, path: pathOf(ctx.url), status: res.status, requestId: res.requestId },
      `unexpected response shape (${where})`,
    );
  }
  return parsed.data;
}
