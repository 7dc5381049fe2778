// HTTP-level answers of the real service on the simulator: 405 with Allow for a known
// path, 415 for bodies that are not UTF-8 JSON, and GET /v1/snapshots answering the
// cloud's failures like POST /v1/jobs does (400 unknown cloud, 404 unknown server, 502 with
// the cloud's request id when it refuses the login) instead of a 500.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { type SimHandle, startSimulator } from '../../shared/sim/server';

const TOKEN = 'protocol-errors-admin-0123';
const auth = { Authorization: `Bearer ${TOKEN}` };
let sim: SimHandle;
let svc: InProcessService;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-protocol-'));
  sim = await startSimulator();
  sim.state.addServer({ name: 'web' });
  const clouds = join(dir, 'clouds.yaml');
  const badpw = { ...sim.cloudFor('admin'), auth: { ...sim.cloudFor('admin').auth, password: 'wrong-password' } };
  writeFileSync(clouds, stringify({ clouds: { sim: sim.cloudFor('admin'), 'sim-badpw': badpw } }), { mode: 0o600 });
  svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: clouds },
    cloudNames: ['sim', 'sim-badpw'],
    mode: 'simulator',
    tokens: [{ name: 'ops', sha256: await sha256Hex(TOKEN), scopes: ['admin'], targets: ['**'] }],
  });
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}) {
  const res = await svc.service.app.request(path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  return {
    status: res.status,
    allow: res.headers.get('Allow'),
    body: (await res.json()) as { error?: { code: string; field?: string; message: string; details?: { requestId?: string } } },
  };
}

describe('405 Method Not Allowed', () => {
  it('names the allowed methods of a known path, in the envelope', async () => {
    const r = await call('/v1/jobs', { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.allow).toBe('GET, HEAD, POST');
    expect(r.body.error?.code).toBe('method_not_allowed');
    expect((await call('/v1/jobs/some-id/cancel', { method: 'GET' })).allow).toBe('POST');
    expect((await call('/healthz', { method: 'POST' })).status).toBe(405);
  });

  it('keeps 404 for paths that do not exist', async () => {
    expect((await call('/v1/nothing-here', { method: 'DELETE' })).status).toBe(404);
  });
});

describe('415 Unsupported Media Type', () => {
  const body = JSON.stringify({ kind: 'snapshot', cloud: 'sim', server: 'web', dryRun: true });
  it.each([
    ['text/plain', body],
    ['application/x-www-form-urlencoded', body],
    ['application/json; charset=utf-16', body],
    ['multipart/form-data; boundary=x', body],
  ])('refuses %s', async (type, payload) => {
    const r = await call('/v1/jobs', { method: 'POST', headers: { 'Content-Type': type }, body: payload });
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({ code: 'unsupported_media_type', field: 'Content-Type' });
  });

  it('refuses a body without a Content-Type and accepts JSON with or without charset', async () => {
    expect((await call('/v1/jobs', { method: 'POST', body })).status).toBe(415);
    expect((await call('/v1/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status).toBe(200);
    expect((await call('/v1/jobs', { method: 'POST', headers: { 'Content-Type': 'Application/JSON; charset=UTF-8' }, body })).status).toBe(200);
  });
});

describe("GET /v1/snapshots answers the cloud's failures as 4xx/502, never 500", () => {
  it('400 for an unknown cloud, naming the field', async () => {
    const r = await call('/v1/snapshots?cloud=nope&server=web');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'unknown_cloud', field: 'cloud' });
    expect((await call('/v1/snapshots?cloud=nope')).status).toBe(400);
  });

  it('404 for an unknown server, naming the field', async () => {
    const r = await call('/v1/snapshots?cloud=sim&server=nope');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'server_not_found', field: 'server' });
  });

  it("502 with the cloud's request id when the cloud refuses the login", async () => {
    const r = await call('/v1/snapshots?cloud=sim-badpw&server=web');
    expect(r.status).toBe(502);
    expect(r.body.error?.code).toBe('cloud_error');
    expect(r.body.error?.details?.requestId).toMatch(/^req-/);
    expect(r.body.error?.message).toContain(r.body.error?.details?.requestId);
    expect(JSON.stringify(r.body)).not.toContain('wrong-password');
  });
});
