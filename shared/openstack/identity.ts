import { z } from 'zod';
import { type Catalog, type CatalogService, catalogSchema, hasService, OVERRIDE_KEYS, selectEndpoint } from './catalog';
import { authMethodOf, type CloudConfig, normaliseInterface } from './cloud-config';
import { InvalidResponseError, NotFoundError, UnauthorizedError } from './errors';
import { type HttpOptions, parseJson, send } from './http';

// Keystone v3 authentication with one token cache per cloud and scope. A token is
// renewed when less than REFRESH_MARGIN_MS of it remains, and on demand after a 401.

export const REFRESH_MARGIN_MS = 120_000;

export interface Token {
  value: string;
  expiresAt: number;
  userId: string;
  projectId: string | undefined;
  projectName: string | undefined;
  catalog: Catalog;
}

interface CacheEntry {
  token?: Token;
  pending?: Promise<Token>;
}

/** Shared between clients so that one step per call does not re-authenticate every time. */
export type TokenCache = Map<string, CacheEntry>;
export function createTokenCache(): TokenCache {
  return new Map();
}
const defaultCache: TokenCache = createTokenCache();

const tokenResponseSchema = z.object({
  token: z.object({
    expires_at: z.string(),
    user: z.object({ id: z.string() }),
    project: z.object({ id: z.string(), name: z.string().optional() }).optional(),
    catalog: catalogSchema.optional(),
  }),
});

export interface IdentityOptions extends HttpOptions {
  tokenCache?: TokenCache;
  now?: () => number;
}

export class Identity {
  private readonly cache: TokenCache;
  private readonly key: string;
  private readonly now: () => number;

  constructor(
    readonly cloud: CloudConfig,
    private readonly opts: IdentityOptions,
  ) {
    this.cache = opts.tokenCache ?? defaultCache;
    this.now = opts.now ?? Date.now;
    this.key = cacheKey(cloud);
  }

  /** A token with at least REFRESH_MARGIN_MS left (authenticates when needed). */
  async token(): Promise<Token> {
    const entry = this.entry();
    if (entry.token && entry.token.expiresAt - this.now() > REFRESH_MARGIN_MS) return entry.token;
    if (!entry.pending) {
      entry.pending = this.authenticate().finally(() => {
        entry.pending = undefined;
      });
      entry.token = await entry.pending;
      return entry.token;
    }
    return entry.pending;
  }

  /** Drops the cached token if it is still the one that failed (called after a 401). */
  invalidate(rejected?: Token): void {
    const entry = this.entry();
    if (!rejected || entry.token === rejected) entry.token = undefined;
  }

  async projectId(): Promise<string> {
    const t = await this.token();
    if (!t.projectId) throw new NotFoundError({ service: 'identity', method: 'GET', path: '/v3/auth/tokens' }, 'token is not project-scoped');
    return t.projectId;
  }

  async hasService(service: CatalogService): Promise<boolean> {
    const t = await this.token();
    return hasService(t.catalog, service) || OVERRIDE_KEYS[service].some((k) => Boolean(this.cloud.endpoint_overrides[k]));
  }

  /** The endpoint for a service, honouring `*_endpoint_override`, interface and region. */
  async endpoint(service: CatalogService): Promise<string> {
    const t = await this.token();
    const url = selectEndpoint(t.catalog, {
      service,
      interface: normaliseInterface(this.cloud.interface),
      region: this.cloud.region_name,
      projectId: t.projectId,
      overrides: this.cloud.endpoint_overrides,
    });
    if (!url) {
      const region = this.cloud.region_name ? ` in region ${this.cloud.region_name}` : '';
      throw new NotFoundError(
        { service: 'identity', method: 'GET', path: '/v3/auth/tokens' },
        `cloud ${this.cloud.name}: no ${normaliseInterface(this.cloud.interface)} ${service} endpoint${region} in the catalog`,
      );
    }
    return url;
  }

  private entry(): CacheEntry {
    let entry = this.cache.get(this.key);
    if (!entry) {
      entry = {};
      this.cache.set(this.key, entry);
    }
    return entry;
  }

  private async authenticate(): Promise<Token> {
    const url = `${this.cloud.auth.auth_url.replace(/\/+$/, '')}/auth/tokens`;
    const res = await send(this.opts, {
      service: 'identity',
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(authBody(this.cloud)),
    });
    const doc = parseJson(tokenResponseSchema, res, { service: 'identity', method: 'POST', url });
    const value = res.headers.get('x-subject-token');
    const ctx = { service: 'identity' as const, method: 'POST', path: new URL(url).pathname, status: res.status, requestId: res.requestId };
    if (!value) throw new InvalidResponseError(ctx, 'no X-Subject-Token header in the answer');
    const expiresAt = Date.parse(doc.token.expires_at);
    if (Number.isNaN(expiresAt)) throw new InvalidResponseError(ctx, 'token expires_at is not a date');
    if (!doc.token.catalog) throw new UnauthorizedError(ctx, `cloud ${this.cloud.name}: the token has no service catalog (unscoped?)`);
    return {
      value,
      expiresAt,
      userId: doc.token.user.id,
      projectId: doc.token.project?.id,
      projectName: doc.token.project?.name,
      catalog: doc.token.catalog,
    };
  }
}

/** Identity + scope, never the secret: the key may show up in debugging. */
function cacheKey(c: CloudConfig): string {
  const a = c.auth;
  return JSON.stringify([
    c.name,
    a.auth_url,
    authMethodOf(c),
    a.user_id ?? a.username,
    a.user_domain_id ?? a.user_domain_name,
    a.application_credential_id ?? a.application_credential_name,
    a.project_id ?? a.project_name,
    a.project_domain_id ?? a.project_domain_name,
    a.domain_id ?? a.domain_name,
  ]);
}

function domainRef(id?: string, name?: string): { id: string } | { name: string } | undefined {
  if (id) return { id };
  if (name) return { name };
  return undefined;
}

function userRef(c: CloudConfig): Record<string, unknown> {
  const a = c.auth;
  if (a.user_id) return { id: a.user_id };
  const domain = domainRef(a.user_domain_id ?? a.domain_id, a.user_domain_name ?? a.domain_name);
  return { name: a.username, ...(domain ? { domain } : {}) };
}

function scopeOf(c: CloudConfig): Record<string, unknown> | undefined {
  const a = c.auth;
  if (a.project_id) return { project: { id: a.project_id } };
  if (a.project_name) {
    const domain = domainRef(a.project_domain_id ?? a.domain_id, a.project_domain_name ?? a.domain_name);
    return { project: { name: a.project_name, ...(domain ? { domain } : {}) } };
  }
  const domain = domainRef(a.domain_id, a.domain_name);
  return domain ? { domain } : undefined;
}

export function authBody(c: CloudConfig): unknown {
  const a = c.auth;
  const method = authMethodOf(c);
  if (method === 'application_credential') {
    // Application credentials carry their own scope; Keystone rejects an explicit one.
    const cred = a.application_credential_id
      ? { id: a.application_credential_id, secret: a.application_credential_secret }
      : { name: a.application_credential_name, secret: a.application_credential_secret, user: userRef(c) };
    return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
  }
  const identity =
    method === 'token'
      ? { methods: ['token'], token: { id: a.token } }
      : { methods: ['password'], password: { user: { ...userRef(c), password: a.password } } };
  const scope = scopeOf(c);
  return { auth: { identity, ...(scope ? { scope } : {}) } };
}
