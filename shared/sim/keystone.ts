import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UNAUTHORIZED_MSG } from './errors';
import { hexId } from './http-util';
import type { AppCred, Project, Token, User } from './model';
import type { Ctx, Route } from './router';
import { empty, fail, json, route } from './router';
import type { SimState } from './state';

const DomainRef = z.object({ id: z.string().optional(), name: z.string().optional() }).optional();
const AuthBody = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()),
      password: z
        .object({
          user: z.object({ id: z.string().optional(), name: z.string().optional(), domain: DomainRef, password: z.string() }),
        })
        .optional(),
      application_credential: z
        .object({
          id: z.string().optional(),
          name: z.string().optional(),
          secret: z.string(),
          user: z.object({ id: z.string().optional(), name: z.string().optional(), domain: DomainRef }).optional(),
        })
        .optional(),
      token: z.object({ id: z.string() }).optional(),
    }),
    scope: z
      .union([z.object({ project: z.object({ id: z.string().optional(), name: z.string().optional(), domain: DomainRef }) }), z.string(), z.object({})])
      .optional(),
  }),
});

const AppCredBody = z.object({
  application_credential: z.object({
    name: z.string().min(1),
    secret: z.string().optional(),
    description: z.string().nullable().optional(),
    expires_at: z.string().nullable().optional(),
    unrestricted: z.boolean().optional(),
    roles: z.array(z.object({ id: z.string().optional(), name: z.string().optional() })).optional(),
  }),
});

/** Keystone token timestamps: microseconds, Z suffix. */
const ksTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.000000Z');
const domainView = { id: 'default', name: 'Default' };

function matchDomain(d: { id?: string; name?: string } | undefined): boolean {
  return !d || d.id === 'default' || d.name === 'Default';
}

function findUser(s: SimState, u: { id?: string; name?: string; domain?: { id?: string; name?: string } }): User | undefined {
  if (u.id) return s.users.get(u.id);
  if (!u.name || !matchDomain(u.domain)) return undefined;
  return s.userByName(u.name);
}

export function issueToken(s: SimState, user: User, project: Project | null, methods: string[], extra: Partial<Token> = {}): Token {
  const now = Date.now();
  const t: Token = {
    id: `gAAAAA${randomBytes(132).toString('base64url')}`,
    userId: user.id,
    projectId: project?.id ?? '',
    roles: project ? (user.roles.get(project.id) ?? []) : [],
    methods,
    issuedAt: now,
    expiresAt: now + s.tokenTtlMs,
    auditId: randomBytes(16).toString('base64url').slice(0, 22),
    ...extra,
  };
  s.tokens.set(t.id, t);
  return t;
}

export function validToken(s: SimState, id: string | undefined): Token | null {
  if (!id) return null;
  const t = s.tokens.get(id);
  if (!t || t.expiresAt <= Date.now()) return null;
  if (t.appCredId && !s.appCreds.has(t.appCredId)) return null;
  return t;
}

export const catalogIds = new Map<string, string>();
function endpointId(key: string): string {
  let id = catalogIds.get(key);
  if (!id) {
    id = hexId();
    catalogIds.set(key, id);
  }
  return id;
}

export function catalog(base: string, projectId: string, withCinder: boolean): unknown[] {
  const svc = (type: string, name: string, url: string) => ({
    endpoints: ['public', 'internal', 'admin'].map((iface) => ({
      id: endpointId(`${type}-${iface}`),
      interface: iface,
      region_id: 'RegionOne',
      url,
      region: 'RegionOne',
    })),
    id: endpointId(type),
    type,
    name,
  });
  const out = [svc('compute', 'nova', `${base}/v2.1`), svc('identity', 'keystone', `${base}/v3/`), svc('image', 'glance', base)];
  if (withCinder) {
    out.unshift(svc('block-storage', 'block-storage', `${base}/v3/${projectId}`));
    out.push(svc('volumev3', 'cinderv3', `${base}/v3/${projectId}`));
  }
  return out;
}

function tokenView(ctx: Ctx, t: Token, withCinder: boolean): unknown {
  const s = ctx.state;
  const user = s.users.get(t.userId)!;
  const project = s.projects.get(t.projectId);
  const ac = t.appCredId ? s.appCreds.get(t.appCredId) : undefined;
  return {
    token: {
      methods: t.methods,
      user: { domain: domainView, id: user.id, name: user.name, password_expires_at: null },
      audit_ids: [t.auditId],
      expires_at: ksTime(t.expiresAt),
      issued_at: ksTime(t.issuedAt),
      ...(project
        ? {
            project: { domain: domainView, id: project.id, name: project.name },
            is_domain: false,
            roles: t.roles.map((r) => ({ id: s.roleIds[r] ?? r, name: r })),
            ...(ac ? { application_credential: { id: ac.id, name: ac.name, restricted: !ac.unrestricted } } : {}),
            catalog: catalog(ctx.base, project.id, withCinder),
          }
        : {}),
    },
  };
}

function unauthorized(ctx: Ctx): void {
  fail(ctx, 401, UNAUTHORIZED_MSG, undefined, { 'WWW-Authenticate': `Keystone uri="${ctx.base}/v3"` });
}

function authenticate(ctx: Ctx, withCinder: boolean): void {
  const s = ctx.state;
  const parsed = AuthBody.safeParse(ctx.body);
  if (!parsed.success) return fail(ctx, 400, `Invalid input for auth: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  const { identity, scope } = parsed.data.auth;
  let user: User | undefined;
  let project: Project | null = null;
  let methods = identity.methods;
  const extra: Partial<Token> = {};
  if (identity.methods.includes('application_credential') && identity.application_credential) {
    const a = identity.application_credential;
    let ac: AppCred | undefined = a.id ? s.appCreds.get(a.id) : undefined;
    if (!a.id && a.name && a.user) {
      const owner = findUser(s, a.user);
      ac = [...s.appCreds.values()].find((c) => c.name === a.name && c.userId === owner?.id);
    }
    if (!ac || ac.secret !== a.secret || (ac.expiresAt !== null && ac.expiresAt <= Date.now())) return unauthorized(ctx);
    user = s.users.get(ac.userId);
    project = s.projects.get(ac.projectId) ?? null;
    extra.appCredId = ac.id;
    extra.roles = ac.roles;
  } else if (identity.methods.includes('password') && identity.password) {
    user = findUser(s, identity.password.user);
    if (!user || user.password !== identity.password.user.password) return unauthorized(ctx);
  } else if (identity.methods.includes('token') && identity.token) {
    const old = validToken(s, identity.token.id);
    if (!old) return unauthorized(ctx);
    user = s.users.get(old.userId);
    methods = ['token', ...old.methods.filter((m) => m !== 'token')];
    // a token-from-token never outlives the original (Keystone keeps its expires_at)
    extra.expiresAt = old.expiresAt;
  } else {
    return unauthorized(ctx);
  }
  if (!user) return unauthorized(ctx);
  if (!extra.appCredId && scope && typeof scope === 'object' && 'project' in scope) {
    const p = scope.project;
    const found = p.id ? s.projects.get(p.id) : matchDomain(p.domain) && p.name ? s.projectByName(p.name) : undefined;
    if (!found || !user.roles.get(found.id)?.length) return unauthorized(ctx);
    project = found;
  }
  const t = issueToken(s, user, project, methods, extra);
  json(ctx, 201, tokenView(ctx, t, withCinder), { 'X-Subject-Token': t.id });
}

function validate(ctx: Ctx, withCinder: boolean): void {
  const subject = ctx.req.headers['x-subject-token'];
  if (subject === undefined) return fail(ctx, 404, 'No token in the request');
  const t = validToken(ctx.state, typeof subject === 'string' ? subject : undefined);
  if (!t) return fail(ctx, 404, 'Could not recognize Fernet token');
  json(ctx, 200, tokenView(ctx, t, withCinder), { 'X-Subject-Token': t.id });
}

function revoke(ctx: Ctx): void {
  const subject = ctx.req.headers['x-subject-token'];
  if (typeof subject !== 'string' || !validToken(ctx.state, subject)) return fail(ctx, 404, 'Could not recognize Fernet token');
  ctx.state.tokens.delete(subject);
  empty(ctx, 204);
}

function createAppCred(ctx: Ctx): void {
  const s = ctx.state;
  const t = ctx.token!;
  if (ctx.params.user_id !== t.userId) return fail(ctx, 403, 'You are not authorized to perform the requested action: identity:create_application_credential.');
  const parsed = AppCredBody.safeParse(ctx.body);
  if (!parsed.success) return fail(ctx, 400, `Invalid input for field 'application_credential': ${parsed.error.issues[0]?.message ?? ''}`);
  const b = parsed.data.application_credential;
  if ([...s.appCreds.values()].some((c) => c.userId === t.userId && c.name === b.name)) {
    return fail(ctx, 409, 'Conflict occurred attempting to store application_credential - Duplicate entry.');
  }
  const ac: AppCred = {
    id: hexId(),
    name: b.name,
    secret: b.secret ?? randomBytes(64).toString('base64url'),
    userId: t.userId,
    projectId: t.projectId,
    roles: b.roles?.length ? b.roles.map((r) => r.name ?? '').filter(Boolean) : t.roles,
    description: b.description ?? null,
    expiresAt: b.expires_at ? Date.parse(b.expires_at) : null,
    unrestricted: b.unrestricted ?? false,
  };
  s.appCreds.set(ac.id, ac);
  json(ctx, 201, {
    application_credential: {
      id: ac.id,
      name: ac.name,
      description: ac.description,
      user_id: ac.userId,
      project_id: ac.projectId,
      system: null,
      expires_at: b.expires_at ?? null,
      unrestricted: b.unrestricted ?? null,
      roles: ac.roles.map((r) => ({ id: s.roleIds[r] ?? r, name: r, domain_id: null, description: null, options: { immutable: true } })),
      secret: ac.secret,
      links: { self: `${ctx.base}/v3/application_credentials/${ac.id}` },
    },
  });
}

function deleteAppCred(ctx: Ctx): void {
  const ac = ctx.state.appCreds.get(ctx.params.id ?? '');
  if (!ac || ac.userId !== ctx.params.user_id) {
    return fail(ctx, 404, `Could not find application credential: ${ctx.params.id}.`);
  }
  ctx.state.appCreds.delete(ac.id);
  empty(ctx, 204);
}

function catalogOf(ctx: Ctx, withCinder: boolean): void {
  if (!ctx.token!.projectId) return fail(ctx, 403, 'A project-scoped token is required to produce a service catalog.');
  json(ctx, 200, { catalog: catalog(ctx.base, ctx.token!.projectId, withCinder), links: { self: `${ctx.base}/v3/auth/catalog` } });
}

/** identity:get_project (Zed default policy): admin, or a token scoped to that very project. */
function getProject(ctx: Ctx): void {
  const t = ctx.token!;
  const id = ctx.params.id!;
  if (!t.roles.includes('admin') && t.projectId !== id) {
    return fail(ctx, 403, 'You are not authorized to perform the requested action: identity:get_project.');
  }
  const p = ctx.state.projects.get(id);
  if (!p) return fail(ctx, 404, `Could not find project: ${id}.`);
  json(ctx, 200, {
    project: {
      id: p.id,
      name: p.name,
      domain_id: p.domainId,
      description: '',
      enabled: true,
      parent_id: p.domainId,
      is_domain: false,
      tags: [],
      options: {},
      links: { self: `${ctx.base}/v3/projects/${p.id}` },
    },
  });
}

function versionDoc(ctx: Ctx): void {
  json(ctx, 200, {
    version: {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${ctx.base}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    },
  });
}

export function keystoneRoutes(withCinder: boolean): Route[] {
  return [
    route('GET', '/v3', 'keystone', versionDoc, { auth: false }),
    route('GET', '/v3/', 'keystone', versionDoc, { auth: false }),
    route('POST', '/v3/auth/tokens', 'keystone', (c) => authenticate(c, withCinder), { auth: false }),
    route('GET', '/v3/auth/tokens', 'keystone', (c) => validate(c, withCinder)),
    route('DELETE', '/v3/auth/tokens', 'keystone', revoke),
    route('GET', '/v3/auth/catalog', 'keystone', (c) => catalogOf(c, withCinder)),
    route('GET', '/v3/projects/{id}', 'keystone', getProject),
    route('POST', '/v3/users/{user_id}/application_credentials', 'keystone', createAppCred),
    route('DELETE', '/v3/users/{user_id}/application_credentials/{id}', 'keystone', deleteAppCred),
  ];
}
