// Error answers byte for byte as the lab gives them (curl against 127.0.0.1, 2026-11-26).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../shared/sim/server';
import type { Session } from './helpers';
import { type client, login, openSimSession } from './helpers';

let sim: SimHandle;
let s: Session;
let api: ReturnType<typeof client>;
beforeAll(async () => ({ sim, s, api } = await openSimSession()));
afterAll(async () => {
  await sim.close();
});

const X = '00000000-0000-0000-0000-000000000000';
const PATCH = 'application/openstack-images-v2.1-json-patch';
const JSON_ACCEPT = { Accept: 'application/json' };
const patch = (id: string, body: unknown, ct = PATCH, accept = 'application/json') =>
  api('PATCH', `/v2/images/${id}`, body, { 'Content-Type': ct, Accept: accept });

/** fetch always sends an Accept header; webob treats a missing one differently. */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${sim.url}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('glance errors follow webob content negotiation', () => {
  it('404 as JSON, plain text (also without Accept) or HTML, after the Accept header', async () => {
    const msg = `No image found with ID ${X}`;
    const j = await api('GET', `/v2/images/${X}`, undefined, JSON_ACCEPT);
    expect(j.status).toBe(404);
    expect(j.headers.get('content-type')).toBe('application/json');
    expect(j.text).toBe(`{"message": "${msg}<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}`);
    const plain = `404 Not Found\n\n${msg}\n\n   `;
    const p = await api('GET', `/v2/images/${X}`, undefined, { Accept: 'text/plain' });
    expect([p.headers.get('content-type'), p.text]).toEqual(['text/plain; charset=UTF-8', plain]);
    const none = await rawGet(`/v2/images/${X}`, { 'X-Auth-Token': s.token });
    expect([none.status, none.type, none.body]).toEqual([404, 'text/plain; charset=UTF-8', plain]);
    const html = `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  ${msg}<br /><br />\n\n\n\n </body>\n</html>`;
    for (const accept of ['text/html', '*/*', 'application/json, text/html', 'garbage']) {
      expect((await api('GET', `/v2/images/${X}`, undefined, { Accept: accept })).text).toBe(html);
    }
    // quality values and wildcards decide
    expect((await api('GET', `/v2/images/${X}`, undefined, { Accept: 'text/html;q=0, */*;q=0.1' })).text).toBe(j.text);
    expect((await api('GET', `/v2/images/${X}`, undefined, { Accept: 'application/*' })).text).toBe(j.text);
    expect((await api('GET', `/v2/images/${X}`, undefined, { Accept: 'application/json;q=0' })).text).toBe(plain);
  });

  it('escapes quotes only in the HTML form; the 401 negotiates too', async () => {
    const j = await api('POST', '/v2/images', { size: 1 }, JSON_ACCEPT);
    expect(j.text).toBe(`{"message": "Attribute 'size' is read-only.<br /><br />\\n\\n\\n", "code": "403 Forbidden", "title": "Forbidden"}`);
    expect((await api('POST', '/v2/images', { size: 1 }, { Accept: 'text/html' })).text).toContain('Attribute &#x27;size&#x27; is read-only.');
    const u = await fetch(`${sim.url}/v2/images/${X}`, { headers: JSON_ACCEPT });
    expect(u.status).toBe(401);
    expect((await u.json()) as { code: string; title: string }).toMatchObject({ code: '401 Unauthorized', title: 'Unauthorized' });
  });

  it('405 and 415 use their own webob templates', async () => {
    const j = await api('POST', `/v2/images/${X}`, undefined, JSON_ACCEPT);
    expect(j.status).toBe(405);
    expect(j.headers.get('allow')).toBe('GET, PATCH, DELETE');
    expect(j.text).toBe(
      '{"message": "The method POST is not allowed for this resource. <br /><br />\\n", "code": "405 Method Not Allowed", "title": "Method Not Allowed"}',
    );
    const p = await api('POST', `/v2/images/${X}`, undefined, { Accept: 'text/plain' });
    expect(p.text).toBe('405 Method Not Allowed\n\nThe method POST is not allowed for this resource. \n\n ');
    const m = await patch(X, [], 'application/json', 'text/plain');
    expect(m.status).toBe(415);
    expect(m.headers.get('accept-patch')).toBe('application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch');
    expect(m.text).toBe('415 Unsupported Media Type\n\nThe request media type application/json is not supported by this server. \n\n ');
    // upload: the media type is checked before the image is looked up
    const up = await api('PUT', `/v2/images/${X}/file`, 'abc', { 'Content-Type': 'text/plain', ...JSON_ACCEPT });
    expect(up.text).toBe(
      '{"message": "The request media type text/plain is not supported by this server.\\n<br /><br />\\n", "code": "415 Unsupported Media Type", "title": ' +
        '"Unsupported Media Type"}',
    );
  });

  it('PATCH checks the whole body before looking the image up', async () => {
    const bogus = await patch(X, [{ op: 'bogus', path: '/name', value: 'x' }]);
    expect(bogus.status).toBe(400);
    expect(bogus.text).toBe(
      '{"message": "Invalid operation: `bogus`. It must be one of the following: add, remove, replace.<br /><br />\\n\\n\\n", "code": "400 Bad Request", ' +
        '"title": "Bad Request"}',
    );
    const msg = async (body: unknown, ct = PATCH) => {
      const r = await patch(X, body, ct);
      return [r.status, r.json.message.replace(/<br \/><br \/>\n\n\n$/, '')];
    };
    expect(await msg([{ path: '/name', value: 'x' }])).toEqual([
      400,
      'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
    ]);
    expect(await msg([{ op: 'replace', value: 'x' }])).toEqual([400, "Unable to find 'path' in JSON Schema change"]);
    expect(await msg([{ op: 'replace', path: '/name' }])).toEqual([400, 'Operation "replace" requires a member named "value".']);
    expect(await msg([{ op: 'replace', path: 'name', value: 'x' }])).toEqual([400, 'Pointer `name` does not start with "/".']);
    expect(await msg([{ op: 'replace', path: '/a/b', value: 'x' }])).toEqual([400, "Invalid JSON pointer for this resource: '/a/b'"]);
    expect(await msg([{ op: 'add', path: '/x~2', value: 'x' }])).toEqual([400, 'Pointer `/x~2` contains "~" not part of a recognized escape sequence.']);
    expect(await msg([{ op: 'replace', path: '/size', value: 1 }])).toEqual([403, "Attribute 'size' is read-only."]);
    expect(await msg([{ op: 'add', path: '/deleted', value: 'x' }])).toEqual([403, "Attribute 'deleted' is reserved."]);
    expect(await msg({ op: 'x' })).toEqual([400, 'Request body must be a JSON array of operation objects.']);
    expect(await msg([1])).toEqual([400, 'Operations must be JSON objects.']);
    expect((await msg([{ op: 'add', path: '/foo', value: 5 }]))[1]).toMatch(/^Provided object does not match schema 'image': 5 is not of type 'string'/);
    // the v2.0 media type is the draft-4 form: {"add": "/path", "value": ...}
    const d4 = 'application/openstack-images-v2.0-json-patch';
    expect(await msg([{ op: 'add', path: '/foo', value: 'x' }], d4)).toEqual([
      400,
      'Operation objects must contain exactly one member named "add", "remove", or "replace".',
    ]);
    expect(await msg([{ add: '/foo', replace: '/bar', value: 'x' }], d4)).toEqual([
      400,
      'Operation objects must contain only one member named "add", "remove", or "replace".',
    ]);
    // a valid body on a missing image: now the 404
    expect((await patch(X, [{ op: 'remove', path: '/name' }])).status).toBe(404);
  });

  it('PATCH on a real image: draft-4 form, and core attributes may not be removed', async () => {
    const img = (await api('POST', '/v2/images', { name: 'p', disk_format: 'raw', container_format: 'bare' })).json;
    const d4 = await patch(img.id, [{ add: '/foo', value: 'x' }], 'application/openstack-images-v2.0-json-patch');
    expect([d4.status, d4.json.foo]).toEqual([200, 'x']);
    const rm = await patch(img.id, [{ op: 'remove', path: '/name' }]);
    expect(rm.status).toBe(403);
    expect(rm.text).toBe(
      '{"message": "Access was denied to this resource.<br /><br />\\nProperty name may not be removed.\\n\\n", "code": "403 Forbidden", "title": "Forbidden"}',
    );
  });
});

describe('nova and cinder errors', () => {
  it('unknown routes negotiate like webob; faults are Python json.dumps', async () => {
    const j = await api('GET', '/v2.1/nonexistent', undefined, JSON_ACCEPT);
    expect(j.text).toBe('{"message": "The resource could not be found.<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}');
    expect((await api('GET', `/v3/${s.projectId}/nonexistent`, undefined, JSON_ACCEPT)).text).toBe(j.text);
    expect((await rawGet('/v2.1/nonexistent', {})).body).toBe('404 Not Found\n\nThe resource could not be found.\n\n   ');
    expect((await api('GET', '/v2.1/servers/x')).text).toBe('{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}');
    const u = await fetch(`${sim.url}/v2.1/servers/x`);
    expect(await u.text()).toBe('{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}');
  });

  it('server create: jsonschema messages in schema order, the missing image before the flavor', async () => {
    const create = async (server: unknown) => (await api('POST', '/v2.1/servers', server === undefined ? {} : { server })).json.badRequest.message;
    expect(await create({ name: 'x', networks: 'none' })).toBe(
      "Invalid input for field/attribute server. Value: {'name': 'x', 'networks': 'none'}. 'flavorRef' is a required property",
    );
    expect(await create({ flavorRef: '42', networks: 'none' })).toBe(
      "Invalid input for field/attribute server. Value: {'flavorRef': '42', 'networks': 'none'}. 'name' is a required property",
    );
    expect(await create(undefined)).toBe("'server' is a required property");
    expect(await create({ name: '', flavorRef: '42', networks: 'none' })).toBe("Invalid input for field/attribute name. Value: . '' is too short");
    expect(await create({ name: 'x', imageRef: 'x' })).toBe(
      "Invalid input for field/attribute imageRef. Value: x. 'x' is not valid under any of the given schemas",
    );
    expect(await create({ name: 'x', flavorRef: '999', networks: 'none' })).toBe('Missing imageRef attribute');
  });
});

describe('keystone', () => {
  it('GET /v3/auth/catalog: 401 for a bad token, the catalog for a good one', async () => {
    const bad = await fetch(`${sim.authUrl}/auth/catalog`, { headers: { 'X-Auth-Token': 'bogus' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe(`Keystone uri="${sim.authUrl}"`);
    expect(await bad.text()).toBe('{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}\n');
    const ok = await fetch(`${sim.authUrl}/auth/catalog`, { headers: { 'X-Auth-Token': s.token } });
    const body = (await ok.json()) as { catalog: Array<{ type: string }>; links: { self: string } };
    expect(body.catalog.map((c) => c.type)).toEqual(expect.arrayContaining(['compute', 'image', 'identity']));
    expect(body.links.self).toBe(`${sim.authUrl}/auth/catalog`);
  });

  it('GET /v3/projects/{id}: the project, 404 "Could not find project", 403 for another project', async () => {
    const mine = await fetch(`${sim.authUrl}/projects/${s.projectId}`, { headers: { 'X-Auth-Token': s.token } });
    expect(((await mine.json()) as { project: { name: string } }).project.name).toBe('admin');
    const nope = await fetch(`${sim.authUrl}/projects/nope`, { headers: { 'X-Auth-Token': s.token } });
    expect(nope.status).toBe(404);
    expect(await nope.text()).toBe('{"error":{"code":404,"message":"Could not find project: nope.","title":"Not Found"}}\n');
    const dest = await login(sim, 'dest', 'destuser');
    const other = await fetch(`${sim.authUrl}/projects/${s.projectId}`, { headers: { 'X-Auth-Token': dest.token } });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe(
      'You are not authorized to perform the requested action: identity:get_project.',
    );
  });

  it('token validation without X-Subject-Token: 404 "No token in the request"', async () => {
    const r = await fetch(`${sim.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': s.token } });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe('No token in the request');
  });
});
