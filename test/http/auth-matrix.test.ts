// The auth matrix: every route of the route table × {no token, bad token, a token in the
// query string, each scope, a token whose targets exclude what the route addresses},
// against the real service on the simulator. The cells are generated from the route table
// and each route's declared scope and target rule; a route without a probe here fails the
// suite, so a new route cannot be added without its cells.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../functions/http/api-route';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { hasScope, type Scope } from '../../shared/auth/principal';
import type { TokenEntry } from '../../shared/auth/tokens';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { HOOK_ENV, hookConfig, SECRETS } from '../hooks/hook-config';
import { type Delivery, generic } from '../hooks/payloads';
import { githubWorkflowRun } from '../hooks/payloads-github';
import { gitlabPipeline } from '../hooks/payloads-gitlab';

interface Principal {
  name: string;
  secret: string;
  scopes: Scope[];
  targets: string[];
}

const PRINCIPALS: Principal[] = [
  { name: 'reader', secret: 'matrix-reader-0123456789', scopes: ['read'], targets: ['**'] },
  { name: 'submitter', secret: 'matrix-submit-0123456789', scopes: ['submit'], targets: ['**'] },
  { name: 'admin', secret: 'matrix-admin-01234567890', scopes: ['admin'], targets: ['**'] },
  { name: 'runner', secret: 'matrix-runner-0123456789', scopes: ['runner'], targets: ['**'] },
  // every scope, but only servers named other-*: what the routes address is outside its targets
  { name: 'narrow', secret: 'matrix-narrow-0123456789', scopes: ['admin'], targets: ['sim/*/other-*'] },
];

interface Probe {
  path: string;
  body?: unknown;
  /** status for a token with the scope and the targets */
  ok: number;
  /** for 'filtered' routes: the addressed object is absent from a 200 body */
  absent?: (body: any) => boolean;
  /** signed routes: the delivery, with its token or signature (signed) or without it */
  delivery?: (signed: boolean) => Delivery;
}

/** The delivery without the header that authenticates it. */
function unsigned(d: Delivery, header: string): Delivery {
  const headers = { ...d.headers };
  delete headers[header];
  return { ...d, headers };
}

let sim: SimHandle;
let svc: InProcessService;
let dir: string;
let jobId: string;

function probes(): Record<string, Probe> {
  return {
    'POST /v1/jobs': { path: '/v1/jobs', body: { kind: 'snapshot', cloud: 'sim', server: 'web', dryRun: true }, ok: 200 },
    'GET /v1/jobs': { path: '/v1/jobs', ok: 200, absent: (b) => !b.jobs.some((j: { id: string }) => j.id === jobId) },
    'GET /v1/jobs/{id}': { path: `/v1/jobs/${jobId}`, ok: 200 },
    'GET /v1/jobs/{id}/events': { path: `/v1/jobs/${jobId}/events`, ok: 200 },
    'GET /v1/jobs/{id}/wait': { path: `/v1/jobs/${jobId}/wait?timeout=1`, ok: 200 },
    // the job has finished: a token allowed to cancel it hears that
    'POST /v1/jobs/{id}/cancel': { path: `/v1/jobs/${jobId}/cancel`, ok: 409 },
    'GET /v1/schedules': { path: '/v1/schedules', ok: 200, absent: (b) => !b.schedules.some((s: { name: string }) => s.name === 'web-nightly') },
    'POST /v1/schedules/{name}/run': { path: '/v1/schedules/web-nightly/run', ok: 202 },
    'GET /v1/snapshots': { path: '/v1/snapshots?cloud=sim&server=web', ok: 200 },
    // Events no rule of the hooks acts on: accepted (202) without starting a job.
    'POST /v1/hooks/gitlab': {
      path: '/v1/hooks/gitlab',
      ok: 202,
      delivery: (signed) => {
        const d = gitlabPipeline({ token: SECRETS.gitlab, id: 1, status: 'pending', uuid: 'matrix-gitlab' });
        return signed ? d : unsigned(d, 'X-Gitlab-Token');
      },
    },
    'POST /v1/hooks/github': {
      path: '/v1/hooks/github',
      ok: 202,
      delivery: (signed) => {
        const d = githubWorkflowRun({ secret: SECRETS.github, action: 'requested', runId: 1, delivery: 'matrix-github' });
        return signed ? d : unsigned(d, 'X-Hub-Signature-256');
      },
    },
    'POST /v1/hooks/generic': {
      path: '/v1/hooks/generic',
      ok: 202,
      delivery: (signed) => {
        const d = generic({ secret: SECRETS.generic, body: { event: 'lint', status: 'started', project: 'p' }, delivery: 'matrix-generic' });
        return signed ? d : unsigned(d, 'X-Snapflow-Signature');
      },
    },
    // no task is queued: a claim that may run waits 0 s and hears "nothing"; a report about a
    // task nobody leased is a lease_lost, which tells the runner to stop (not a 404)
    'POST /v1/runner/claim': { path: '/v1/runner/claim', body: { runner: 'matrix', waitSeconds: 0 }, ok: 204 },
    'POST /v1/runner/tasks/{id}/heartbeat': {
      path: '/v1/runner/tasks/no-such-task/heartbeat',
      body: { leaseToken: 'not-a-lease', phase: 'download', bytesDone: 0, bytesTotal: 0 },
      ok: 409,
    },
    'POST /v1/runner/tasks/{id}/complete': {
      path: '/v1/runner/tasks/no-such-task/complete',
      body: { leaseToken: 'not-a-lease', imageId: 'img', bytes: 0, verified: { source: {}, target: {} }, warnings: [] },
      ok: 409,
    },
    'POST /v1/runner/tasks/{id}/fail': {
      path: '/v1/runner/tasks/no-such-task/fail',
      body: { leaseToken: 'not-a-lease', code: 'download_failed', message: 'm', retryable: true, phase: 'download' },
      ok: 409,
    },
    'GET /healthz': { path: '/healthz', ok: 200 },
    'GET /metrics': { path: '/metrics', ok: 200 },
    'GET /openapi.json': { path: '/openapi.json', ok: 200 },
    'GET /docs': { path: '/docs', ok: 200 },
  };
}

const key = (r: AnyRoute) => `${r.method.toUpperCase()} ${r.path}`;

async function call(r: AnyRoute, p: Probe, headers: Record<string, string>, path = p.path, signed = true) {
  const init: RequestInit = { method: r.method.toUpperCase(), headers: { ...headers } };
  if (p.delivery) {
    const d = p.delivery(signed);
    init.headers = { ...d.headers, ...headers };
    init.body = d.body;
  } else if (p.body !== undefined) {
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    init.body = JSON.stringify(p.body);
  }
  const res = await svc.service.app.request(path, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics, docs)
  }
  return { status: res.status, body };
}

/** What a principal should get on a route, from its declared scope and target rule. */
function expected(r: AnyRoute, p: Probe, who: Principal): number {
  if (r.scope === null) return p.ok;
  if (!hasScope(who, r.scope)) return 403;
  if (who.name !== 'narrow') return p.ok;
  return { hidden: 404, forbidden: 403, filtered: 200, none: p.ok }[r.targets];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-authmatrix-'));
  sim = await startSimulator();
  sim.state.addServer({ name: 'web' });
  sim.state.addServer({ name: 'other-1' });
  const clouds = join(dir, 'clouds.yaml');
  writeFileSync(clouds, sim.cloudsYaml(), { mode: 0o600 });
  const tokens: TokenEntry[] = await Promise.all(
    PRINCIPALS.map(async (p) => ({ name: p.name, sha256: await sha256Hex(p.secret), scopes: p.scopes, targets: p.targets })),
  );
  svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: clouds },
    cloudNames: ['sim', 'sim-dest'],
    mode: 'simulator',
    tokens,
    configFile: hookConfig('sim', 'web'),
    configEnv: HOOK_ENV,
    schedules: [{ name: 'web-nightly', cron: '0 2 * * *', target: { cloud: 'sim', servers: ['web'] } }],
  });
  jobId = await svc.submit({ kind: 'snapshot', cloud: 'sim', server: 'web' });
  expect((await svc.wait(jobId, 60_000)).state).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('auth matrix', () => {
  it('has a probe for every route of the route table', () => {
    const missing = svc.service.app.routeTable.map(key).filter((k) => !(k in probes()));
    expect(missing).toEqual([]);
  });

  it('answers every cell as the route declares', async () => {
    const all = probes();
    const mismatches: string[] = [];
    let cells = 0;
    const check = (cell: string, got: number, want: number) => {
      cells++;
      if (got !== want) mismatches.push(`${cell}: got ${got}, want ${want}`);
    };
    for (const r of svc.service.app.routeTable) {
      const p = all[key(r)]!;
      const unauth = r.scope === null ? p.ok : 401;
      // A signed route ignores bearer tokens: the delivery's own token or signature decides.
      if (r.signed) check(`${key(r)} without its signature`, (await call(r, p, {}, p.path, false)).status, 401);
      check(`${key(r)} no token`, (await call(r, p, {})).status, unauth);
      check(`${key(r)} bad token`, (await call(r, p, { Authorization: 'Bearer not-a-configured-token' })).status, unauth);
      const sep = p.path.includes('?') ? '&' : '?';
      const admin = PRINCIPALS.find((x) => x.name === 'admin')!.secret;
      check(`${key(r)} token in query`, (await call(r, p, {}, `${p.path}${sep}access_token=${admin}`)).status, unauth);
      for (const who of PRINCIPALS) {
        const res = await call(r, p, { Authorization: `Bearer ${who.secret}` });
        const want = expected(r, p, who);
        check(`${key(r)} ${who.name}`, res.status, want);
        if (who.name === 'narrow' && r.targets === 'filtered' && res.status === 200 && p.absent && !p.absent(res.body)) {
          mismatches.push(`${key(r)} narrow: the object outside its targets is listed`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    const signed = svc.service.app.routeTable.filter((r) => r.signed).length;
    expect(signed).toBe(3);
    expect(cells).toBe(svc.service.app.routeTable.length * (3 + PRINCIPALS.length) + signed);
  }, 120_000);
});
