import { createMiddleware } from 'hono/factory';
import type { Principal, Scope } from './principal';
import { hasScope } from './principal';
import type { TokenEntry } from './tokens';
import { authenticate, bearerToken } from './tokens';

/** Hono env fragment for apps using requireAuth: `new Hono<AuthEnv>()`. */
export type AuthEnv = { Variables: { principal: Principal } };

export interface RequireAuthOptions {
  /** the configured tokens, or a getter so a reloaded configuration takes effect */
  tokens: readonly TokenEntry[] | (() => readonly TokenEntry[]);
  /** scope the route needs; omitted: any valid token */
  scope?: Scope;
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * 401 (missing or unknown token, with `WWW-Authenticate: Bearer`) or 403 (scope missing);
 * otherwise `c.var.principal` is set. Target checks are the handler's (canTarget), since
 * only it knows the target.
 */
export function requireAuth(opts: RequireAuthOptions) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const presented = bearerToken(c.req.header('Authorization'));
    if (presented === null) {
      c.header('WWW-Authenticate', 'Bearer realm="snapflow"');
      return c.json(errorBody('unauthorized', 'missing bearer token'), 401);
    }
    const tokens = typeof opts.tokens === 'function' ? opts.tokens() : opts.tokens;
    const principal = await authenticate(tokens, presented);
    if (principal === null) {
      c.header('WWW-Authenticate', 'Bearer realm="snapflow", error="invalid_token"');
      return c.json(errorBody('unauthorized', 'unknown token'), 401);
    }
    if (opts.scope && !hasScope(principal, opts.scope)) {
      return c.json(errorBody('forbidden', `token "${principal.name}" lacks the "${opts.scope}" scope`), 403);
    }
    c.set('principal', principal);
    await next();
  });
}
