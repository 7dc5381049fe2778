// The CLI's only way to the service: JSON over HTTP to /v1 with the bearer token, Node's
// global fetch (nothing to load before the first request). Every request has a deadline.
import { httpError, networkError, type RequestContext } from './api-errors';
import type { Connection } from './connection';

/** Default deadline of one request; long-polls add their own timeout to it. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ApiReply<T> {
  status: number;
  body: T;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** job kind of a submission, named in a 400 unknown_kind */
  kind?: string;
}

export interface ApiClient {
  readonly url: string;
  request<T>(method: 'GET' | 'POST', path: string, opts?: RequestOptions): Promise<ApiReply<T>>;
  get<T>(path: string, query?: RequestOptions['query'], timeoutMs?: number): Promise<T>;
}

export function createApiClient(conn: Connection): ApiClient {
  const ctxBase: RequestContext = { url: conn.url, tokenSource: conn.tokenSource };

  async function request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<ApiReply<T>> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const target = `${conn.url}${path}${qs.size ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (conn.token !== null) headers.Authorization = `Bearer ${conn.token}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const ctx = { ...ctxBase, ...(opts.kind !== undefined ? { kind: opts.kind } : {}) };
    let status: number;
    let text: string;
    try {
      const res = await fetch(target, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw networkError(err, ctx, timeoutMs);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    // every /v1 reply is a JSON object: anything else is not snapflow answering
    if (status >= 400 || typeof body !== 'object' || body === null) throw httpError(status, body, ctx, path);
    return { status, body: body as T };
  }

  return {
    url: conn.url,
    request,
    async get<T>(path: string, query?: RequestOptions['query'], timeoutMs?: number) {
      return (await request<T>('GET', path, { ...(query ? { query } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) })).body;
    },
  };
}

export const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;
