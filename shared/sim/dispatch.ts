import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Service } from './errors';
import { GLANCE_401_EXPLANATION, middleware401, UNAUTHORIZED_MSG, webob405 } from './errors';
import type { Counters, Faults } from './faults';
import { headerValue, newRequestId, readSmallBody, send } from './http-util';
import { validToken } from './keystone';
import { pyJson } from './py-repr';
import type { Ctx, Route } from './router';
import { cmpVersion, errorBody, fail, matchRoute, serviceHeaders } from './router';
import type { SimState } from './state';
import { explained, renderWebob } from './webob';

export interface CallRecord {
  method: string;
  route: string;
  status: number;
  at: number;
}

export interface DispatchDeps {
  routes: Route[];
  state: SimState;
  faults: Faults;
  counters: Counters;
  calls: CallRecord[];
  base: () => string;
  novaMax: string;
}

const CINDER_MAX = '3.70';

function serviceOf(path: string): Service {
  if (path.startsWith('/v2.1')) return 'nova';
  if (/^\/v3\/[0-9a-f]{32}(\/|$)/.test(path)) return 'cinder';
  if (path.startsWith('/v3')) return 'keystone';
  return 'glance';
}

/** Microversion requested for a service, or an error already sent. */
function microversion(req: IncomingMessage, service: Service, novaMax: string): { mv: string } | { status: number; mv: string; msg: string } {
  if (service !== 'nova' && service !== 'cinder') return { mv: '' };
  const name = service === 'nova' ? 'compute' : 'volume';
  const [min, max] = service === 'nova' ? ['2.1', novaMax] : ['3.0', CINDER_MAX];
  let want: string | undefined;
  const h = headerValue(req, 'openstack-api-version');
  if (h) {
    for (const part of h.split(',')) {
      const [svc, v] = part.trim().split(/\s+/);
      if (svc?.toLowerCase() === name && v) want = v;
    }
  }
  if (!want && service === 'nova') want = headerValue(req, 'x-openstack-nova-api-version');
  // the lab's Cinder refuses an OpenStack-API-Version header that names no volume version
  if (!want && h && service === 'cinder') {
    return { status: 400, mv: min, msg: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' };
  }
  if (!want) return { mv: min };
  if (want === 'latest') return { mv: max };
  if (!/^\d+\.\d+$/.test(want)) {
    return { status: 400, mv: min, msg: `API Version String ${want} is of invalid format. Must be of format MajorNum.MinorNum.` };
  }
  if (cmpVersion(want, min) < 0 || cmpVersion(want, max) > 0) {
    return { status: 406, mv: want, msg: `Version ${want} is not supported by the API. Minimum is ${min} and maximum is ${max}.` };
  }
  return { mv: want };
}

function send401(ctx: Ctx): void {
  const www = { 'WWW-Authenticate': `Keystone uri="${ctx.base}"` };
  if (ctx.service === 'keystone') {
    return fail(ctx, 401, UNAUTHORIZED_MSG, undefined, { 'WWW-Authenticate': `Keystone uri="${ctx.base}/v3"` });
  }
  if (ctx.service === 'glance') {
    // the lab's Glance 401 carries no request id (keystonemiddleware answers before Glance)
    const r = renderWebob(401, explained(GLANCE_401_EXPLANATION), headerValue(ctx.req, 'accept'));
    send(ctx.res, 401, r.body, { 'Content-Type': r.contentType, ...www });
    return;
  }
  const ids: Record<string, string> = { 'x-openstack-request-id': ctx.reqId };
  if (ctx.service === 'nova') ids['x-compute-request-id'] = ctx.reqId;
  send(ctx.res, 401, pyJson(middleware401()), { 'Content-Type': 'application/json', ...www, ...ids });
}

/** Unknown path (allowed = null) or method: the routers' webob pages, as the lab answers them. */
function unrouted(ctx: Ctx, allowed: string[] | null): void {
  if (ctx.service === 'keystone') {
    // Flask answers these, not Keystone's error handler
    const h = { Vary: 'X-Auth-Token', 'x-openstack-request-id': ctx.reqId };
    if (allowed) {
      return send(ctx.res, 405, '{"message": "The method is not allowed for the requested URL."}\n', {
        'Content-Type': 'application/json',
        Allow: [...allowed, 'OPTIONS', 'HEAD'].join(', '),
        ...h,
      });
    }
    return send(
      ctx.res,
      404,
      '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not ' +
        'found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
      { 'Content-Type': 'text/html; charset=utf-8', ...h },
    );
  }
  const ids: Record<string, string> =
    ctx.service === 'glance'
      ? { 'X-Openstack-Request-Id': ctx.reqId }
      : ctx.service === 'nova'
        ? { 'x-compute-request-id': ctx.reqId }
        : { 'x-compute-request-id': ctx.reqId, 'x-openstack-request-id': ctx.reqId };
  const accept = headerValue(ctx.req, 'accept');
  if (allowed && ctx.service === 'glance') {
    const r = renderWebob(405, webob405(ctx.req.method ?? ''), accept);
    return send(ctx.res, 405, r.body, { Allow: allowed.join(', '), 'Content-Type': r.contentType, ...ids });
  }
  // Nova and Cinder route by path + method: a wrong method is a plain 404
  const r = renderWebob(404, explained('The resource could not be found.'), accept);
  send(ctx.res, 404, r.body, { 'Content-Type': r.contentType, ...ids });
}

function malformedMessage(service: Service): string {
  if (service === 'glance') return 'Malformed JSON in request body.';
  if (service === 'keystone') return 'Expecting to find valid JSON in request body.';
  return 'Malformed request body';
}

export async function dispatch(d: DispatchDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const base = d.base();
  const url = new URL(req.url ?? '/', base);
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const service = serviceOf(path);
  const ctx: Ctx = {
    req,
    res,
    url,
    params: {},
    state: d.state,
    base,
    reqId: newRequestId(),
    service,
    mv: '',
    token: null,
    body: undefined,
  };
  let key = `${method} ${path}`;
  res.on('close', () => d.calls.push({ method, route: key, status: res.headersSent ? res.statusCode : 0, at: Date.now() }));

  const m = matchRoute(d.routes, method, path);
  const v = microversion(req, service, d.novaMax);
  ctx.mv = v.mv;
  if (!m || 'pathOnly' in m) {
    d.counters.inc(key);
    req.resume();
    return unrouted(ctx, m ? d.routes.filter((x) => x.regex.test(path)).map((x) => x.method) : null);
  }
  const r = m.route;
  ctx.params = m.params;
  ctx.service = r.service;
  key = `${method} ${r.template}`;
  if (r.body === 'json') {
    let raw = '';
    try {
      raw = await readSmallBody(req);
    } catch {
      d.counters.inc(key);
      return fail(ctx, 413, 'Request body too large');
    }
    if (raw.trim()) {
      try {
        ctx.body = JSON.parse(raw);
      } catch {
        d.counters.inc(key);
        return fail(ctx, 400, malformedMessage(r.service));
      }
    }
    if (r.action && ctx.body && typeof ctx.body === 'object') {
      const name = Object.keys(ctx.body)[0];
      if (name) key = `${key}:${name}`;
    }
  }
  d.counters.inc(key);
  // API latency (latency.api): the time a real service takes to answer, before anything is decided
  const apiMs = d.state.delay('api');
  if (apiMs > 0) await new Promise((ok) => setTimeout(ok, apiMs));

  const fault = d.faults.take(req, method, path, r.template, key);
  if (fault) {
    if (fault.delayMs) await new Promise((ok) => setTimeout(ok, fault.delayMs));
    if (fault.drop) {
      req.socket.destroy();
      return;
    }
    if (fault.cutAfterBytes !== undefined) ctx.cutAfterBytes = fault.cutAfterBytes;
    if (fault.status) {
      if (r.body === 'raw') req.resume();
      const shaped = errorBody(r.service, fault.status, 'Simulated fault (snapflow simulator)', undefined, headerValue(req, 'accept'));
      const body = fault.body === undefined ? shaped.body : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
      const ct = fault.body === undefined || typeof fault.body !== 'string' ? shaped.contentType : 'text/plain; charset=UTF-8';
      send(res, fault.status, body, { ...serviceHeaders(r.service, ctx.reqId, ctx.mv), 'Content-Type': ct, ...fault.headers });
      return;
    }
  }

  if (r.auth) {
    const t = validToken(d.state, headerValue(req, 'x-auth-token'));
    if (!t || (r.service !== 'keystone' && !t.projectId)) {
      if (r.body === 'raw') req.resume();
      return send401(ctx);
    }
    ctx.token = t;
  }
  // keystonemiddleware runs before the API's version negotiation
  if ('status' in v) {
    if (r.body === 'raw') ctx.req.resume();
    return fail(ctx, v.status, v.msg);
  }
  await r.handler(ctx);
}
