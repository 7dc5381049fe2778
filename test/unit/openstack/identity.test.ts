import { describe, expect, it } from 'vitest';
import { createOpenStackClient } from '../../../shared/openstack/client';
import type { CloudConfig } from '../../../shared/openstack/cloud-config';
import { OpenStackNetworkError, OpenStackTimeoutError, UnauthorizedError } from '../../../shared/openstack/errors';
import { authBody, createTokenCache, REFRESH_MARGIN_MS } from '../../../shared/openstack/identity';
import type { CallInfo, FetchLike } from '../../../shared/openstack/transport';

// A stub Keystone + Glance at the edge (fetch). The contract suite is the real check.

const SECRET = 'pa55-word-never-shown';
const cloud: CloudConfig = {
  name: 'stub',
  auth: {
    auth_url: 'http://keystone.test/v3',
    username: 'admin',
    password: SECRET,
    project_name: 'admin',
    user_domain_id: 'default',
    project_domain_id: 'default',
  },
  region_name: 'RegionOne',
  interface: 'public',
  endpoint_overrides: {},
};

interface Stub {
  fetch: FetchLike;
  issued: string[];
  valid: Set<string>;
  log: string[];
}

function stubCloud(opts: { ttlMs: () => number; now?: () => number }): Stub {
  const issued: string[] = [];
  const valid = new Set<string>();
  const log: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    const method = init.method ?? 'GET';
    const path = new URL(url).pathname;
    log.push(`${method} ${path}`);
    if (path === '/v3/auth/tokens' && method === 'POST') {
      const token = `tok-${issued.length + 1}`;
      issued.push(token);
      valid.add(token);
      const expires = new Date((opts.now ?? Date.now)() + opts.ttlMs()).toISOString();
      const catalog = [{ type: 'image', endpoints: [{ interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://glance.test' }] }];
      return new Response(JSON.stringify({ token: { expires_at: expires, user: { id: 'u1' }, project: { id: 'p1', name: 'admin' }, catalog } }), {
        status: 201,
        headers: { 'X-Subject-Token': token, 'x-openstack-request-id': `req-auth-${issued.length}` },
      });
    }
    const token = new Headers(init.headers).get('x-auth-token') ?? '';
    if (!valid.has(token))
      return new Response('<html><body><h1>401 Unauthorized</h1>nope</body></html>', { status: 401, headers: { 'content-type': 'text/html' } });
    return new Response(JSON.stringify({ images: [] }), { status: 200, headers: { 'x-openstack-request-id': 'req-img' } });
  };
  return { fetch, issued, valid, log };
}

describe('token cache and re-auth', () => {
  it('reuses one token per cloud and scope across clients sharing a cache', async () => {
    const stub = stubCloud({ ttlMs: () => 3600_000 });
    const cache = createTokenCache();
    const a = createOpenStackClient(cloud, { transport: { fetch: stub.fetch }, tokenCache: cache });
    const b = createOpenStackClient(cloud, { transport: { fetch: stub.fetch }, tokenCache: cache });
    await Promise.all([a.image.listAll(), b.image.listAll(), a.image.listAll()]);
    expect(stub.issued).toEqual(['tok-1']);
    const other = createOpenStackClient({ ...cloud, auth: { ...cloud.auth, project_name: 'dest' } }, { transport: { fetch: stub.fetch }, tokenCache: cache });
    await other.image.listAll();
    expect(stub.issued).toEqual(['tok-1', 'tok-2']);
  });

  it('re-authenticates when less than 120 s remain', async () => {
    let now = 1_000_000;
    const stub = stubCloud({ ttlMs: () => REFRESH_MARGIN_MS + 60_000, now: () => now });
    const c = createOpenStackClient(cloud, { transport: { fetch: stub.fetch }, tokenCache: createTokenCache() });
    // The identity clock is the real one; align the stub's expiry with it.
    now = Date.now();
    await c.identity.token();
    expect(stub.issued).toHaveLength(1);
    await c.identity.token();
    expect(stub.issued).toHaveLength(1);
    now = Date.now() - 61_000;
    const shortLived = createOpenStackClient({ ...cloud, name: 'short' }, { transport: { fetch: stub.fetch }, tokenCache: createTokenCache() });
    await shortLived.identity.token();
    await shortLived.identity.token();
    expect(stub.issued).toHaveLength(3);
  });

  it('retries once after a 401, with a fresh token, and reports every call', async () => {
    const stub = stubCloud({ ttlMs: () => 3600_000 });
    const calls: CallInfo[] = [];
    const c = createOpenStackClient(cloud, { transport: { fetch: stub.fetch }, tokenCache: createTokenCache(), onCall: (x) => calls.push(x) });
    await c.image.listAll();
    stub.valid.clear(); // revoked server side
    await c.image.listAll({ filters: { name: 'x' } });
    expect(stub.issued).toEqual(['tok-1', 'tok-2']);
    expect(calls.map((x) => `${x.service} ${x.method} ${x.path} ${x.status}`)).toEqual([
      'identity POST /v3/auth/tokens 201',
      'image GET /v2/images 200',
      'image GET /v2/images 401',
      'identity POST /v3/auth/tokens 201',
      'image GET /v2/images 200',
    ]);
    expect(calls[1]?.requestId).toBe('req-img');
  });

  it('a second 401 is an UnauthorizedError (no loop)', async () => {
    const stub = stubCloud({ ttlMs: () => 3600_000 });
    const revokeAll: FetchLike = async (url, init) => {
      const res = await stub.fetch(url, init);
      stub.valid.clear();
      return res;
    };
    const c = createOpenStackClient(cloud, { transport: { fetch: revokeAll }, tokenCache: createTokenCache() });
    const err = await c.image.listAll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).serverMessage).toBe('nope');
    expect(stub.log.filter((l) => l.startsWith('GET'))).toHaveLength(2);
  });

  it('network failures and timeouts are typed and never carry the password', async () => {
    const refused: FetchLike = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }) });
    };
    const e1 = await createOpenStackClient(cloud, { transport: { fetch: refused }, tokenCache: createTokenCache() })
      .identity.token()
      .catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(OpenStackNetworkError);
    expect((e1 as Error).message).toContain('ECONNREFUSED');
    const hang: FetchLike = (_url, init) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const e2 = await createOpenStackClient(cloud, { transport: { fetch: hang }, tokenCache: createTokenCache(), requestTimeoutMs: 20 })
      .identity.token()
      .catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(OpenStackTimeoutError);
    for (const e of [e1, e2]) {
      expect(String(e)).not.toContain(SECRET);
      expect(JSON.stringify(e)).not.toContain(SECRET);
    }
  });

  it('builds the v3 auth bodies (password, application credential, token)', () => {
    expect(authBody(cloud)).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: SECRET } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    });
    expect(authBody({ ...cloud, auth: { auth_url: cloud.auth.auth_url, application_credential_id: 'ac', application_credential_secret: 's' } })).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac', secret: 's' } } },
    });
    expect(authBody({ ...cloud, auth_type: 'v3token', auth: { auth_url: cloud.auth.auth_url, token: 't', project_id: 'p' } })).toEqual({
      auth: { identity: { methods: ['token'], token: { id: 't' } }, scope: { project: { id: 'p' } } },
    });
  });
});
