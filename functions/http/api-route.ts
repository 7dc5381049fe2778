// One declaration per route: method, path, scope, the zod schemas of what it accepts and
// answers, and the handler. The same declaration registers the handler, feeds the OpenAPI
// document (@hono/zod-openapi's registry), answers 405 with `Allow` for a known path, gates
// JSON bodies (415), and drives the auth-matrix test, so a route cannot exist without its
// documentation and its access rules.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { requireAuth } from '../../shared/auth/middleware';
import type { Scope } from '../../shared/auth/principal';
import type { TokenEntry } from '../../shared/auth/tokens';
import type { AppEnv } from './app-env';
import { ApiError } from './envelope';
import { errorReply } from './schemas';
import { parseWith } from './validate';

export { errorReply };

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  /** JSON body schema; or a non-JSON media type; or nothing. */
  schema?: z.ZodType;
  mediaType?: 'text/plain' | 'text/html';
}

/**
 * What a token whose targets exclude the addressed object gets (the auth matrix checks it):
 * 'hidden' = 404 as if it did not exist (jobs), 'forbidden' = 403 (a named server),
 * 'filtered' = 200 with those objects left out (lists).
 */
export type TargetRule = 'hidden' | 'forbidden' | 'filtered' | 'none';

export interface RouteInput<Q, P> {
  query: Q;
  params: P;
}

export interface ApiRoute<Q = unknown, P = unknown> {
  method: HttpMethod;
  /** OpenAPI style: `/v1/jobs/{id}` */
  path: string;
  summary: string;
  /** null: public (no token) */
  scope: Scope | null;
  /**
   * Authenticated by the request itself (a webhook's token or signature) instead of a bearer
   * token: 401 without it (the auth matrix checks that cell).
   */
  signed?: boolean;
  targets: TargetRule;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  headers?: z.ZodObject;
  /** A JSON request body: documented, and any other media type is a 415. */
  body?: z.ZodType;
  responses: Record<number, ResponseDoc>;
  handle(c: Context<AppEnv>, input: RouteInput<Q, P>): Response | Promise<Response>;
}

// any: routes with different query/param types live in one table
export type AnyRoute = ApiRoute<any, any>;

export function defineRoute<Q = undefined, P = undefined>(route: ApiRoute<Q, P>): ApiRoute<Q, P> {
  return route;
}

/** The 401/403 every authenticated route can answer. */
export function authResponses(): Record<number, ResponseDoc> {
  return {
    401: { description: 'missing or unknown bearer token', schema: errorReply },
    403: { description: 'token lacks the scope or may not target this', schema: errorReply },
  };
}

/** `/v1/jobs/{id}` → `/v1/jobs/:id` */
export function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

function pathRegex(path: string): RegExp {
  const body = path
    .split(/\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${body}/?$`);
}

/** JSON only, UTF-8 only (RFC 8259): text/plain, forms and UTF-16 bodies are refused. */
export function isJsonMediaType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

const jsonBodyGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!isJsonMediaType(c.req.header('Content-Type'))) {
    throw new ApiError(415, 'unsupported_media_type', 'request body must be JSON: send Content-Type: application/json (UTF-8)', {
      field: 'Content-Type',
    });
  }
  await next();
};

function responsesDoc(r: AnyRoute) {
  return Object.fromEntries(
    Object.entries(r.responses).map(([status, d]) => {
      if (d.schema) return [status, { description: d.description, content: { 'application/json': { schema: d.schema } } }];
      if (d.mediaType) return [status, { description: d.description, content: { [d.mediaType]: { schema: z.string() } } }];
      return [status, { description: d.description }];
    }),
  );
}

function openApiRoute(r: AnyRoute) {
  const request: Record<string, unknown> = {};
  if (r.query instanceof z.ZodObject) request.query = r.query;
  if (r.params instanceof z.ZodObject) request.params = r.params;
  if (r.headers) request.headers = r.headers;
  if (r.body) request.body = { required: true, content: { 'application/json': { schema: r.body } } };
  return createRoute({
    method: r.method,
    path: r.path,
    summary: r.summary,
    ...(r.scope ? { security: [{ bearer: [r.scope] }], 'x-scope': r.scope } : { security: [] }),
    request,
    responses: responsesDoc(r),
  } as Parameters<typeof createRoute>[0]);
}

export interface RegisterOptions {
  tokens: readonly TokenEntry[] | (() => readonly TokenEntry[]);
}

export function registerRoutes(app: OpenAPIHono<AppEnv>, routes: readonly AnyRoute[], opts: RegisterOptions): void {
  for (const r of routes) {
    app.openAPIRegistry.registerPath(openApiRoute(r));
    const mw: MiddlewareHandler<AppEnv>[] = [];
    if (r.scope) mw.push(requireAuth({ tokens: opts.tokens, scope: r.scope }) as unknown as MiddlewareHandler<AppEnv>);
    if (r.body) mw.push(jsonBodyGate);
    const handler: MiddlewareHandler<AppEnv> = async (c) => {
      const query = r.query ? parseWith(r.query, c.req.query(), 'query') : undefined;
      const params = r.params ? parseWith(r.params, c.req.param(), 'path') : undefined;
      return r.handle(c, { query, params });
    };
    app.on([r.method.toUpperCase()], [honoPath(r.path)], ...mw, handler);
  }
}

/** The methods that do exist for a path nobody registered with this method (for 405). */
export function allowedMethods(routes: readonly AnyRoute[], pathname: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (!pathRegex(r.path).test(pathname)) continue;
    methods.add(r.method.toUpperCase());
    if (r.method === 'get') methods.add('HEAD');
  }
  return [...methods].sort();
}
