import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Service } from './errors';
import { keystoneError, novaFault } from './errors';
import { headerValue, send } from './http-util';
import type { Token } from './model';
import { pyJson } from './py-repr';
import type { SimState } from './state';
import type { WebobBody } from './webob';
import { explained, renderWebob } from './webob';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  state: SimState;
  /** simulator base URL, e.g. http://127.0.0.1:8780 */
  base: string;
  reqId: string;
  service: Service;
  /** the requested microversion (nova: "2.79", cinder: "3.0"); "" for others */
  mv: string;
  token: Token | null;
  body: unknown;
  /** fault: the data download breaks off after this many bytes */
  cutAfterBytes?: number;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;
export interface Route {
  method: string;
  template: string;
  service: Service;
  /** json: the server reads and parses the body first; raw: the handler streams it */
  body: 'json' | 'raw';
  auth: boolean;
  handler: Handler;
  /** for POST .../action: the counter key suffix (the action name) */
  action?: boolean;
  regex: RegExp;
  names: string[];
}

export function route(
  method: string,
  template: string,
  service: Service,
  handler: Handler,
  opts: { body?: 'json' | 'raw'; auth?: boolean; action?: boolean } = {},
): Route {
  const names: string[] = [];
  const src = template.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_m, n: string) => {
    names.push(n);
    return '([^/]+)';
  });
  return {
    method,
    template,
    service,
    handler,
    names,
    body: opts.body ?? 'json',
    auth: opts.auth ?? true,
    action: opts.action,
    regex: new RegExp(`^${src}$`),
  };
}

export function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | { pathOnly: Route } | null {
  let pathOnly: Route | null = null;
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    if (r.method !== method) {
      pathOnly ??= r;
      continue;
    }
    const params: Record<string, string> = {};
    for (const [i, n] of r.names.entries()) params[n] = decodeURIComponent(m[i + 1] ?? '');
    return { route: r, params };
  }
  return pathOnly ? { pathOnly } : null;
}

/** Headers every response of that service carries (copied from the lab). */
export function serviceHeaders(service: Service, reqId: string, mv: string): Record<string, string> {
  switch (service) {
    case 'keystone':
      return { Vary: 'X-Auth-Token', 'x-openstack-request-id': reqId };
    case 'nova':
      return {
        'OpenStack-API-Version': `compute ${mv}`,
        'X-OpenStack-Nova-API-Version': mv,
        Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
        'x-openstack-request-id': reqId,
        'x-compute-request-id': reqId,
      };
    case 'cinder':
      return {
        'OpenStack-API-Version': `volume ${mv}`,
        Vary: 'OpenStack-API-Version',
        'x-compute-request-id': reqId,
        'x-openstack-request-id': reqId,
      };
    case 'glance':
      return { 'X-Openstack-Request-Id': reqId };
  }
}

export function json(ctx: Ctx, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const h = { ...serviceHeaders(ctx.service, ctx.reqId, ctx.mv), 'Content-Type': 'application/json', ...extra };
  // Keystone answers through Flask (compact, trailing newline), the others through Python's json.dumps
  const text = body === undefined ? '' : ctx.service === 'keystone' ? `${JSON.stringify(body)}\n` : pyJson(body);
  send(ctx.res, status, text, h);
}

export function empty(ctx: Ctx, status: number, extra: Record<string, string> = {}): void {
  // Nova labels its empty 202/204 as JSON, Glance as HTML (both seen in the lab)
  const ct = ctx.service === 'glance' ? 'text/html; charset=UTF-8' : 'application/json';
  send(ctx.res, status, '', { ...serviceHeaders(ctx.service, ctx.reqId, ctx.mv), 'Content-Type': ct, ...extra });
}

/**
 * The service's own error shape. Glance's go through webob, which renders HTML, JSON or plain text
 * after the Accept header; `detail` goes under the explanation there.
 */
export function errorBody(service: Service, status: number, message: string, detail?: string, accept?: string): { body: string; contentType: string } {
  if (service === 'glance') return renderWebob(status, explained(message, detail), accept);
  if (service === 'keystone') return { body: keystoneError(status, message), contentType: 'application/json' };
  return { body: pyJson(novaFault(status, message)), contentType: 'application/json; charset=UTF-8' };
}

const acceptOf = (ctx: Ctx): string | undefined => headerValue(ctx.req, 'accept');

export function fail(ctx: Ctx, status: number, message: string, detail?: string, extra: Record<string, string> = {}): void {
  const { body, contentType } = errorBody(ctx.service, status, message, detail, acceptOf(ctx));
  send(ctx.res, status, body, { ...serviceHeaders(ctx.service, ctx.reqId, ctx.mv), 'Content-Type': contentType, ...extra });
}

/** A webob error with its own body template (405, 415, ...), negotiated like every webob error. */
export function failWebob(ctx: Ctx, status: number, body: WebobBody, extra: Record<string, string> = {}): void {
  const r = renderWebob(status, body, acceptOf(ctx));
  send(ctx.res, status, r.body, { ...serviceHeaders(ctx.service, ctx.reqId, ctx.mv), 'Content-Type': r.contentType, ...extra });
}

export function mvAtLeast(ctx: Ctx, v: string): boolean {
  return cmpVersion(ctx.mv, v) >= 0;
}
export function cmpVersion(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}
