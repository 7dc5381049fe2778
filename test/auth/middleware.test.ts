import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, sha256Hex } from '../../shared/auth/hash';
import type { AuthEnv } from '../../shared/auth/middleware';
import { requireAuth } from '../../shared/auth/middleware';
import { canTarget, describeTarget } from '../../shared/auth/principal';
import type { TokenEntry } from '../../shared/auth/tokens';
import { authenticate, bearerToken } from '../../shared/auth/tokens';

const CI = 'ci-token-0123456789';
const OPS = 'ops-token-abcdefghij';
const RUNNER = 'runner-token-xyz';

async function tokens(): Promise<TokenEntry[]> {
  return [
    { name: 'ci', sha256: await sha256Hex(CI), scopes: ['read', 'submit'], targets: ['prod/*/ci-*'] },
    { name: 'ops', sha256: await sha256Hex(OPS), scopes: ['admin'], targets: ['*'] },
    { name: 'runner', sha256: await sha256Hex(RUNNER), scopes: ['runner'], targets: ['*'] },
  ];
}

async function app() {
  const t = await tokens();
  const a = new Hono<AuthEnv>();
  a.get('/v1/jobs', requireAuth({ tokens: t, scope: 'read' }), (c) => c.json({ who: c.var.principal.name }));
  a.post('/v1/jobs', requireAuth({ tokens: () => t, scope: 'submit' }), async (c) => {
    const body = (await c.req.json()) as { cloud: string; server: string };
    const target = { cloud: body.cloud, server: body.server };
    if (!canTarget(c.var.principal, target)) {
      return c.json({ error: { code: 'forbidden', message: `not allowed to target ${describeTarget(target)}` } }, 403);
    }
    return c.json({ ok: true, principal: c.var.principal }, 202);
  });
  a.get('/v1/whoami', requireAuth({ tokens: t }), (c) => c.json(c.var.principal));
  return a;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('sha256 and comparison', () => {
  it('hashes with WebCrypto', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('compares exactly', () => {
    expect(constantTimeEqual('abcd', 'abcd')).toBe(true);
    expect(constantTimeEqual('abcd', 'abce')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
  it('parses bearer headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
  it('authenticates by hash', async () => {
    const t = await tokens();
    expect((await authenticate(t, OPS))?.name).toBe('ops');
    expect(await authenticate(t, OPS.slice(0, -1))).toBeNull();
    expect(await authenticate([], OPS)).toBeNull();
  });
});

describe('requireAuth', () => {
  it('401 without a token, with WWW-Authenticate: Bearer', async () => {
    const res = await (await app()).request('/v1/jobs');
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'missing bearer token' } });
  });

  it('401 for an unknown token or another scheme', async () => {
    const a = await app();
    const res = await a.request('/v1/jobs', { headers: bearer('nope') });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer .*invalid_token/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.message).not.toContain('nope');
    const basic = await a.request('/v1/jobs', { headers: { Authorization: `Basic ${btoa('u:p')}` } });
    expect(basic.status).toBe(401);
  });

  it('403 when the scope is missing', async () => {
    const res = await (await app()).request('/v1/jobs', {
      method: 'POST',
      headers: { ...bearer(RUNNER), 'content-type': 'application/json' },
      body: JSON.stringify({ cloud: 'prod', server: 'ci-1' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'forbidden', message: 'token "runner" lacks the "submit" scope' } });
  });

  it('sets the principal; admin passes every scope', async () => {
    const a = await app();
    const ci = await a.request('/v1/jobs', { headers: bearer(CI) });
    expect(ci.status).toBe(200);
    expect(await ci.json()).toEqual({ who: 'ci' });
    const ops = await a.request('/v1/jobs', { headers: bearer(OPS) });
    expect(await ops.json()).toEqual({ who: 'ops' });
    const who = await a.request('/v1/whoami', { headers: bearer(RUNNER) });
    expect(await who.json()).toEqual({ name: 'runner', scopes: ['runner'], targets: ['*'] });
  });

  it('lets the handler refuse a target with canTarget', async () => {
    const a = await app();
    const post = (token: string, server: string) =>
      a.request('/v1/jobs', {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({ cloud: 'prod', server }),
      });
    expect((await post(CI, 'ci-7')).status).toBe(202);
    const denied = await post(CI, 'web-1');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: { code: 'forbidden', message: 'not allowed to target prod/?/web-1' } });
    expect((await post(OPS, 'web-1')).status).toBe(202);
  });
});
