import { describe, expect, it } from 'vitest';
import { createOpenStackClient } from '../../../shared/openstack/client';
import type { CloudConfig } from '../../../shared/openstack/cloud-config';
import { BadRequestError, ConflictError } from '../../../shared/openstack/errors';
import { createTokenCache } from '../../../shared/openstack/identity';
import type { FetchLike } from '../../../shared/openstack/transport';

// Stub Keystone + Nova at the fetch edge, for the version-dependent paths the lab
// (Nova 2.93) cannot show: old microversions, Location headers, duplicate names.

const cloud: CloudConfig = {
  name: 'stub-compute',
  auth: { auth_url: 'http://keystone.test/v3', username: 'u', password: 'p', project_id: 'p1', user_domain_id: 'default' },
  endpoint_overrides: {},
};

interface Seen {
  method: string;
  url: URL;
  version: string | null;
  body: unknown;
}

function stubNova(max: string, handle: (s: Seen) => Response): { fetch: FetchLike; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    if (u.pathname === '/v3/auth/tokens') {
      const catalog = [{ type: 'compute', endpoints: [{ interface: 'public', region_id: 'R', url: 'http://nova.test/v2.1' }] }];
      const expires = new Date(Date.now() + 3600_000).toISOString();
      return new Response(JSON.stringify({ token: { expires_at: expires, user: { id: 'u' }, project: { id: 'p1' }, catalog } }), {
        status: 201,
        headers: { 'X-Subject-Token': 't' },
      });
    }
    if (u.pathname === '/v2.1/') {
      return Response.json({ version: { id: 'v2.1', version: max, min_version: '2.1', status: 'CURRENT' } });
    }
    const h = new Headers(init.headers);
    const s: Seen = {
      method: init.method ?? 'GET',
      url: u,
      version: h.get('openstack-api-version'),
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    seen.push(s);
    return handle(s);
  };
  return { fetch, seen };
}

const client = (fetch: FetchLike, computeMicroversion?: string) =>
  createOpenStackClient(cloud, { transport: { fetch }, tokenCache: createTokenCache(), computeMicroversion });

describe('compute microversions', () => {
  it('uses 2.79 when the cloud offers more, and exposes the max', async () => {
    const { fetch, seen } = stubNova('2.93', () => Response.json({ servers: [] }));
    const c = client(fetch);
    expect(await c.compute.microversions()).toEqual({ current: '2.79', max: '2.93', min: '2.1' });
    await c.compute.listAllServers();
    expect(seen[0]?.version).toBe('compute 2.79');
    expect(await c.compute.supports('2.93')).toBe(true);
    expect(await c.compute.supports('2.94')).toBe(false);
  });

  it('uses the max of an older cloud and reads createImage ids from Location', async () => {
    const { fetch, seen } = stubNova('2.25', () => new Response(null, { status: 202, headers: { Location: 'http://glance.test/v2/images/img-7' } }));
    const c = client(fetch);
    expect(await c.compute.createImage('srv', 'snap', { k: 'v' })).toBe('img-7');
    expect(seen[0]).toMatchObject({ method: 'POST', version: 'compute 2.25', body: { createImage: { name: 'snap', metadata: { k: 'v' } } } });
    // networks "none" needs 2.37: refused before any mutating call.
    const err = await c.compute.createServer({ name: 'x', flavor: '1', imageRef: 'i', networks: 'none' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(seen).toHaveLength(1);
  });

  it('reads image_id from the body at >= 2.45 and honours a per-call override for rebuild', async () => {
    const { fetch, seen } = stubNova('2.93', (s) =>
      s.url.pathname.endsWith('/action') && (s.body as Record<string, unknown>).rebuild
        ? Response.json({ server: { id: 'srv', name: 'n', status: 'REBUILD' } }, { status: 202 })
        : Response.json({ image_id: 'img-9' }, { status: 202 }),
    );
    const c = client(fetch);
    expect(await c.compute.createImage('srv', 'snap')).toBe('img-9');
    await c.compute.rebuild('srv', { imageRef: 'img-9', microversion: '2.93' });
    expect(seen.map((s) => s.version)).toEqual(['compute 2.79', 'compute 2.93']);
  });

  it('refuses a per-call microversion the cloud does not offer', async () => {
    const { fetch, seen } = stubNova('2.79', () => Response.json({}));
    const err = await client(fetch)
      .compute.rebuild('srv', { imageRef: 'i', microversion: '2.93' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain('offers up to 2.79');
    expect(seen).toHaveLength(0);
  });

  it('a pinned version (clouds.yaml compute_api_version) is used as is', async () => {
    const { fetch, seen } = stubNova('2.93', () => Response.json({ servers: [] }));
    await client(fetch, '2.60').compute.listAllServers();
    expect(seen[0]?.version).toBe('compute 2.60');
  });
});

describe('find server by name', () => {
  const srv = (id: string, name: string) => ({ id, name, status: 'ACTIVE' });

  it('sends an escaped anchored regex and keeps exact matches only', async () => {
    const { fetch, seen } = stubNova('2.93', () => Response.json({ servers: [srv('1', 'web.1'), srv('2', 'web.10')] }));
    const found = await client(fetch).compute.findServerByName('web.1');
    expect(found?.id).toBe('1');
    expect(seen[0]?.url.searchParams.get('name')).toBe('^web\\.1$');
  });

  it('several servers with the exact name is a conflict listing them', async () => {
    const { fetch } = stubNova('2.93', () => Response.json({ servers: [srv('1', 'web'), srv('2', 'web')] }));
    const err = await client(fetch)
      .compute.findServerByName('web')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain('2 servers are named "web": 1, 2');
  });

  it('follows next links on the endpoint origin, bounded by maxPages', async () => {
    let page = 0;
    const { fetch, seen } = stubNova('2.93', () => {
      page++;
      return Response.json({
        servers: [srv(String(page), `s${page}`)],
        servers_links: [{ rel: 'next', href: `http://wrong-host.example/v2.1/servers/detail?limit=1&marker=${page}` }],
      });
    });
    const all = await client(fetch).compute.listAllServers({ pageSize: 1, maxPages: 3 });
    expect(all.map((s) => s.id)).toEqual(['1', '2', '3']);
    expect(seen.map((s) => s.url.host)).toEqual(['nova.test', 'nova.test', 'nova.test']);
    expect(seen[1]?.url.searchParams.get('marker')).toBe('1');
  });
});
