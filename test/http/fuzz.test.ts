// Fuzzing every route of the real service on the simulator with fast-check: random methods,
// path parameters, query strings, headers, tokens, media types and bodies (valid requests
// mutated, arbitrary JSON, garbage, oversized). Invariants: no answer is >= 500, none takes
// longer than the hang limit, and every 400/413/415 names the field at fault. Seeded and
// bounded: FUZZ_RUNS requests (default 1,500; .ci/run sets 10,000), FUZZ_SEED to replay.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honoPath } from '../../functions/http/api-route';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { HOOK_ENV, hookConfig, SECRETS } from '../hooks/hook-config';
import { githubWorkflowRun } from '../hooks/payloads-github';
import { gitlabPipeline } from '../hooks/payloads-gitlab';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1_500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const HANG_MS = 10_000;
const ADMIN = 'fuzz-admin-token-0123456789';
const NARROW = 'fuzz-narrow-token-01234567';

let sim: SimHandle;
let svc: InProcessService;
let dir: string;
let jobId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-fuzz-'));
  sim = await startSimulator();
  sim.state.addServer({ name: 'web' });
  sim.state.addServer({ name: 'other-1' });
  const clouds = join(dir, 'clouds.yaml');
  writeFileSync(clouds, sim.cloudsYaml(), { mode: 0o600 });
  svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: clouds },
    cloudNames: ['sim', 'sim-dest'],
    mode: 'simulator',
    tokens: [
      { name: 'fuzz-admin', sha256: await sha256Hex(ADMIN), scopes: ['admin'], targets: ['**'] },
      { name: 'fuzz-narrow', sha256: await sha256Hex(NARROW), scopes: ['read', 'submit'], targets: ['sim/*/other-*'] },
    ],
    schedules: [{ name: 'web-nightly', cron: '0 2 * * *', target: { cloud: 'sim', servers: ['web'] } }],
    configFile: hookConfig('sim', 'web'),
    configEnv: HOOK_ENV,
  });
  jobId = await svc.submit({ kind: 'snapshot', cloud: 'sim', server: 'web' });
  await svc.wait(jobId, 60_000);
}, 120_000);

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt is one of the inputs
const nasty = fc.constantFrom('', ' ', '..', '%', '%00', '\u0000', '\u202e', '💥', "'; drop table jobs; --", '${7*7}', '../../etc/passwd', 'a'.repeat(5_000));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), nasty);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** A valid request of each kind, for mutation. */
const validBodies = [
  { kind: 'snapshot', cloud: 'sim', server: 'web' },
  { kind: 'snapshot', cloud: 'sim', server: 'other-1', stop: true, keep: 3, properties: { a: 'b' } },
  { kind: 'rollback', cloud: 'sim', server: 'web', image: 'latest', confirm: true, dryRun: true },
  { kind: 'prune', cloud: 'sim', server: 'web', keep: 2, dryRun: true },
  { kind: 'discard', cloud: 'sim', server: 'web', fromJob: 'no-such-job', confirm: true, dryRun: true },
  // webhook deliveries (sent signed to the hook routes by the `signed` case below)
  JSON.parse(gitlabPipeline({ token: '', id: 7, status: 'running' }).body),
  JSON.parse(githubWorkflowRun({ secret: '', action: 'completed', runId: 7 }).body),
  { event: 'deploy', status: 'started', project: 'ops/site', ref: 'main', pipeline_id: 7 },
];

const mutatedBody = fc
  .tuple(
    fc.constantFrom(...validBodies),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom('kind', 'cloud', 'server', 'stop', 'keep', 'image', 'confirm', 'dryRun', 'properties', 'to', 'maxAgeDays', 'policy', 'fromJob'),
        fc.constantFrom('object_kind', 'object_attributes', 'project', 'action', 'workflow_run', 'repository', 'event', 'status', 'pipeline_id'),
        text,
      ),
      fc.oneof(scalar, fc.jsonValue({ maxDepth: 3 })),
      { maxKeys: 3 },
    ),
    fc.boolean(),
  )
  .map(([base, patch, drop]) => {
    const out: Record<string, unknown> = { ...base, ...patch };
    if (drop) delete out[Object.keys(base)[1]!];
    return JSON.stringify(out);
  });

const body = fc.oneof(
  { weight: 4, arbitrary: mutatedBody },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')) },
  { weight: 1, arbitrary: fc.constant(`{"kind":"snapshot","cloud":"sim","server":"${'x'.repeat(70_000)}"}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'application/json; charset=utf-8',
      'multipart/form-data',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const token = fc.oneof(
  { weight: 6, arbitrary: fc.constant(`Bearer ${ADMIN}`) },
  { weight: 2, arbitrary: fc.constant(`Bearer ${NARROW}`) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      text,
      fc.constant('Bearer'),
      fc.constant(`Basic ${ADMIN}`),
      text.map((t) => `Bearer ${t}`),
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('cloud', 'server', 'state', 'kind', 'limit', 'cursor', 'after', 'timeout', 'access_token'), text),
      fc.oneof(text, fc.integer().map(String), fc.constantFrom('sim', 'web', 'succeeded', '1', '0', '-1', '301')),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function request(routes: { method: string; path: string }[]): fc.Arbitrary<Req> {
  const param = fc.oneof({ weight: 3, arbitrary: fc.constant(jobId) }, { weight: 2, arbitrary: fc.constant('web-nightly') }, { weight: 3, arbitrary: text });
  const route = fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...routes) },
    { weight: 1, arbitrary: text.map((t) => ({ method: 'get', path: `/v1/${t}` })) },
  );
  return fc
    .record({
      route,
      otherMethod: fc.oneof(
        { weight: 6, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
      ),
      params: fc.array(param, { minLength: 2, maxLength: 2 }),
      query,
      auth: token,
      contentType,
      idem: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: text }),
      body,
      signed: fc.boolean(),
      hookEvent: fc.oneof(fc.constantFrom('Pipeline Hook', 'Job Hook', 'workflow_run', 'workflow_job', 'ping'), text),
      delivery: fc.oneof(fc.uuid(), text),
      skewS: fc.oneof(fc.constant(0), fc.integer({ min: -100_000, max: 100_000 })),
    })
    .map((r) => {
      let i = 0;
      const path = honoPath(r.route.path).replace(/:[a-z]+/g, () => encodeURIComponent(r.params[i++] ?? 'x'));
      const method = r.otherMethod ?? r.route.method.toUpperCase();
      const headers: Record<string, string> = {};
      if (r.auth !== undefined) headers.Authorization = r.auth;
      if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
      if (r.idem !== null) headers['Idempotency-Key'] = r.idem;
      // A delivery signed with the hook's secret gets past authentication to the parsing.
      if (r.signed && r.route.path.startsWith('/v1/hooks/')) Object.assign(headers, hookHeaders(r.route.path, r.body ?? '', r));
      // the wait route of an unfinished job would legitimately hold the request open
      const q = r.route.path.endsWith('/wait') ? `${r.query}&timeout=1` : r.query;
      return { method, path: `${path}${q ? `?${q}` : ''}`, headers, body: method === 'GET' || method === 'HEAD' ? undefined : r.body };
    });
}

/** What GitLab, GitHub or the generic hook's sender would add to `body`, signed with the right secret. */
function hookHeaders(path: string, body: string, r: { hookEvent: string; delivery: string; skewS: number }): Record<string, string> {
  const provider = path.slice('/v1/hooks/'.length);
  if (provider === 'gitlab') return { 'X-Gitlab-Token': SECRETS.gitlab, 'X-Gitlab-Event': r.hookEvent, 'X-Gitlab-Event-UUID': r.delivery };
  if (provider === 'github') {
    const sig = `sha256=${createHmac('sha256', SECRETS.github).update(body).digest('hex')}`;
    return { 'X-Hub-Signature-256': sig, 'X-GitHub-Event': r.hookEvent, 'X-GitHub-Delivery': r.delivery };
  }
  const ts = String(Math.floor(Date.now() / 1000) + r.skewS);
  const sig = `sha256=${createHmac('sha256', SECRETS.generic).update(`${ts}.${body}`).digest('hex')}`;
  return { 'X-Snapflow-Timestamp': ts, 'X-Snapflow-Signature': sig, 'X-Snapflow-Delivery': r.delivery };
}

/** fetch refuses header values outside latin-1 or with control characters before the app sees them. */
function headerSafe(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').trim()]));
}

describe('fuzz: every route', () => {
  it(`survives ${RUNS} random requests: no 5xx, no hang, every 400/413/415 names the field`, async () => {
    const routes = svc.service.app.routeTable.map((r) => ({ method: r.method, path: r.path }));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(request(routes), async (req) => {
        req.headers = headerSafe(req.headers);
        sent++;
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<'hang'>((ok) => (timer = setTimeout(() => ok('hang'), HANG_MS)));
        const res = await Promise.race([svc.service.app.request(req.path, { method: req.method, headers: req.headers, body: req.body }), hang]);
        clearTimeout(timer);
        if (res === 'hang') {
          failures.push(`hang: ${req.method} ${req.path.slice(0, 120)}`);
          return;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const text = await res.text();
        if (res.status >= 500) failures.push(`${res.status}: ${req.method} ${req.path.slice(0, 120)} ${text.slice(0, 200)}`);
        if ([400, 413, 415].includes(res.status) && req.method !== 'HEAD') {
          let field: unknown;
          try {
            field = (JSON.parse(text) as { error?: { field?: unknown } }).error?.field;
          } catch {
            field = undefined;
          }
          if (typeof field !== 'string' || field === '')
            failures.push(`${res.status} without field: ${req.method} ${req.path.slice(0, 120)} ${text.slice(0, 200)}`);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const histogram = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
    mkdirSync('.tmp', { recursive: true });
    writeFileSync('.tmp/fuzz-report.json', JSON.stringify({ runs: RUNS, sent, seed: SEED, statuses: histogram, failures: failures.length }, null, 2));
    console.log(`fuzz: ${sent} requests (seed ${SEED}), statuses ${JSON.stringify(histogram)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(sent).toBe(RUNS);
  }, 600_000);
});
