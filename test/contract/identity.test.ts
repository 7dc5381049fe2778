import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../shared/openstack/errors';
import { createTokenCache } from '../../shared/openstack/identity';
import { Cleanup, contractName } from './helpers';
import { type ContractTarget, openTarget } from './target';

let target: ContractTarget;
const cleanup = new Cleanup();

beforeAll(async () => {
  target = await openTarget();
});
afterAll(async () => {
  try {
    await cleanup.run();
  } finally {
    await target?.close();
  }
});

describe('keystone auth and catalog', () => {
  it('authenticates with a password, scoped to the configured project, with a catalog', async () => {
    const c = target.client(target.main, { tokenCache: createTokenCache() });
    const token = await c.identity.token();
    expect(token.value.length).toBeGreaterThan(20);
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 120_000);
    expect(token.projectName).toBe(target.main.auth.project_name);
    for (const service of ['compute', 'image', 'identity'] as const) {
      expect(await c.identity.endpoint(service)).toMatch(/^https?:\/\//);
    }
    // The token is reused until it nears expiry: a second call does not re-authenticate.
    expect(await c.identity.token()).toBe(token);
  });

  it('scopes the dest cloud to another project', async () => {
    const main = await target.client(target.main).identity.projectId();
    const dest = await target.client(target.dest).identity.projectId();
    expect(dest).not.toBe(main);
  });

  it('negotiates the compute microversion from the version document', async () => {
    const v = await target.client().compute.microversions();
    expect(v.current).toBe('2.79');
    expect(Number(v.max.split('.')[1])).toBeGreaterThanOrEqual(79);
    expect(v.min).toMatch(/^2\.\d+$/);
  });

  it('rejects a wrong password with a typed 401 carrying the request id and no secret', async () => {
    const wrong = { ...target.main, name: `${target.main.name}-wrong`, auth: { ...target.main.auth, password: 'not-the-password-xyz' } };
    const err = await target
      .client(wrong, { tokenCache: createTokenCache() })
      .identity.token()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    const e = err as UnauthorizedError;
    expect(e.status).toBe(401);
    expect(e.service).toBe('identity');
    expect(e.requestId).toMatch(/^req-/);
    expect(e.serverMessage).toMatch(/requires authentication/);
    expect(e.message).not.toContain('not-the-password-xyz');
    expect(JSON.stringify(e)).not.toContain('not-the-password-xyz');
  });

  it('re-authenticates once after a 401 from a service (revoked token)', async () => {
    const cache = createTokenCache();
    const c = target.client(target.main, { tokenCache: cache });
    const good = await c.identity.token();
    // Replace the cached token by one Keystone never issued, still "valid" for hours.
    const entry = [...cache.values()][0]!;
    entry.token = { ...good, value: `${good.value.slice(0, -8)}AAAAAAAA` };
    const before = target.calls.length;
    const images = await c.image.listAll({ pageSize: 1, maxPages: 1 });
    expect(Array.isArray(images)).toBe(true);
    const seen = target.calls.slice(before).map((x) => `${x.service} ${x.status}`);
    expect(seen).toEqual(['image 401', 'identity 201', 'image 200']);
  });

  it('authenticates with a plain token and with an application credential', async () => {
    const c = target.client(target.main, { tokenCache: createTokenCache() });
    const token = await c.identity.token();
    const viaToken = target.client(
      {
        name: 'plain-token',
        auth_type: 'v3token',
        endpoint_overrides: {},
        auth: { auth_url: target.main.auth.auth_url, token: token.value, project_id: token.projectId },
      },
      { tokenCache: createTokenCache() },
    );
    expect(await viaToken.identity.projectId()).toBe(token.projectId);

    // Application credentials are a Keystone feature the client only consumes: create one raw.
    const identityUrl = await c.identity.endpoint('identity');
    const name = contractName('-appcred');
    const res = await target.transport.fetch(`${identityUrl}/users/${token.userId}/application_credentials`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token.value },
      body: JSON.stringify({ application_credential: { name } }),
    });
    expect(res.status).toBe(201);
    const doc = (await res.json()) as { application_credential: { id: string; secret: string } };
    cleanup.add('application credential', () =>
      target.transport.fetch(`${identityUrl}/users/${token.userId}/application_credentials/${doc.application_credential.id}`, {
        method: 'DELETE',
        headers: { 'X-Auth-Token': token.value },
      }),
    );
    const viaAppCred = target.client(
      {
        name: 'appcred',
        auth_type: 'v3applicationcredential',
        endpoint_overrides: {},
        auth: {
          auth_url: target.main.auth.auth_url,
          application_credential_id: doc.application_credential.id,
          application_credential_secret: doc.application_credential.secret,
        },
      },
      { tokenCache: createTokenCache() },
    );
    expect(await viaAppCred.identity.projectId()).toBe(token.projectId);
    const images = await viaAppCred.image.listAll({ pageSize: 1, maxPages: 1 });
    expect(Array.isArray(images)).toBe(true);
  });

  it('honours an endpoint override', async () => {
    const realImage = await target.client().identity.endpoint('image');
    const overridden = { ...target.main, name: `${target.main.name}-override`, endpoint_overrides: { image: `${realImage}/` } };
    const c = target.client(overridden);
    expect(await c.identity.endpoint('image')).toBe(realImage);
    const broken = { ...target.main, name: `${target.main.name}-broken`, endpoint_overrides: { image: 'http://127.0.0.1:9/' } };
    await expect(target.client(broken).image.listAll({ maxPages: 1 })).rejects.toMatchObject({ code: 'openstack.network' });
  });
});
