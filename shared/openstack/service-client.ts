import type { z } from 'zod';
import type { CatalogService } from './catalog';
import { UnauthorizedError } from './errors';
import { type HttpOptions, parseJson, type SendResult, send } from './http';
import type { Identity, Token } from './identity';

export interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  body?: RequestInit['body'];
  contentType?: string;
  headers?: Record<string, string>;
  okStatuses?: number[];
}

/** Authenticated calls to one service: token header, one re-auth and retry after a 401. */
export class ServiceClient {
  constructor(
    readonly identity: Identity,
    readonly service: CatalogService,
    private readonly http: HttpOptions,
  ) {}

  endpoint(): Promise<string> {
    return this.identity.endpoint(this.service);
  }

  /** `target` is a path under the endpoint ("/servers") or an absolute URL already rebased. */
  async request(method: string, target: string, opts: CallOptions = {}): Promise<SendResult> {
    const url = await this.url(target, opts.query);
    const headers: Record<string, string> = { ...opts.headers };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    } else if (opts.contentType) {
      headers['Content-Type'] = opts.contentType;
    }
    const attempt = async (token: Token) =>
      send(this.http, {
        service: this.service,
        method,
        url,
        headers: { ...headers, 'X-Auth-Token': token.value },
        body,
        okStatuses: opts.okStatuses,
      });
    const token = await this.identity.token();
    try {
      return await attempt(token);
    } catch (err) {
      // A revoked or expired token: authenticate again once. A second 401 is real.
      if (!(err instanceof UnauthorizedError)) throw err;
      this.identity.invalidate(token);
      return attempt(await this.identity.token());
    }
  }

  async json<S extends z.ZodType>(schema: S, method: string, target: string, opts: CallOptions = {}): Promise<z.infer<S>> {
    const res = await this.request(method, target, opts);
    return parseJson(schema, res, { service: this.service, method, url: target });
  }

  async url(target: string, query?: CallOptions['query']): Promise<string> {
    const base = await this.endpoint();
    const url = new URL(/^https?:\/\//.test(target) ? target : `${base}${target.startsWith('/') ? '' : '/'}${target}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /**
   * Pagination links carry whatever host the service believes it has (often wrong behind
   * a proxy): keep path and query, but always talk to the catalog endpoint's origin so the
   * token never goes anywhere else.
   */
  async rebase(link: string): Promise<string> {
    const base = new URL(await this.endpoint());
    const l = new URL(link, base);
    return `${base.origin}${l.pathname}${l.search}`;
  }
}
