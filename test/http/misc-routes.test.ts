import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorJson, get, type Harness, postJson, startHarness, TOKENS, until } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const post = (path: string, token: string) => h.app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });

describe('schedules', () => {
  it('lists schedules with ISO next run times', async () => {
    const res = await get(h, '/v1/schedules');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      schedules: [
        {
          name: 'nightly',
          description: 'rollback points',
          enabled: true,
          cron: '0 2 * * *',
          timezone: 'Europe/Zurich',
          nextRunAt: '2026-11-27T01:00:00.000Z',
          lastRunAt: null,
          lastRun: null,
          target: { cloud: 'prod', servers: ['web'] },
          retention: { keep: 7 },
          stop: false,
        },
        {
          name: 'off',
          description: null,
          enabled: false,
          cron: '0 3 * * *',
          timezone: 'UTC',
          nextRunAt: null,
          lastRunAt: null,
          lastRun: null,
          target: { cloud: 'lab', selector: { tier: 'test' } },
          retention: null,
          stop: false,
        },
      ],
    });
    expect((await h.app.request('/v1/schedules')).status).toBe(401);
  });

  it('runs a schedule now with the admin scope only', async () => {
    const res = await post('/v1/schedules/nightly/run', TOKENS.admin);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { schedule: string; jobs: { id: string; server: string; created: boolean; links: { self: string } }[] };
    expect(body.schedule).toBe('nightly');
    expect(body.jobs).toEqual([
      { id: expect.any(String), server: 'web', created: true, links: expect.objectContaining({ self: `/v1/jobs/${body.jobs[0]!.id}` }) },
    ]);
    expect(body).toMatchObject({ slot: null, errors: [] });
    expect(h.ranNow).toEqual(['nightly by ops']);
    const denied = await post('/v1/schedules/nightly/run', TOKENS.submitter);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as ErrorJson).error.message).toContain('admin');
    expect((await post('/v1/schedules/unknown/run', TOKENS.admin)).status).toBe(404);
    expect(((await (await post(`/v1/schedules/${'n'.repeat(64)}/run`, TOKENS.admin)).json()) as ErrorJson).error).toMatchObject({
      code: 'invalid_path',
      field: 'name',
    });
  });
});

describe('snapshots', () => {
  it('lists snapshots with policy and age, narrowed to what the token may target', async () => {
    const all = (await (await get(h, '/v1/snapshots?cloud=prod')).json()) as { snapshots: Record<string, unknown>[] };
    expect(all.snapshots.map((s) => s.id)).toEqual(['img-1', 'img-2']);
    expect(all.snapshots[0]).toEqual({
      id: 'img-1',
      name: 'snapflow-web-1',
      status: 'active',
      cloud: 'prod',
      server: 'web',
      serverId: 'srv-web',
      policy: 'nightly',
      jobId: 'job-1',
      createdAt: '2026-11-26T11:00:00.000Z',
      ageSeconds: 3600,
      sizeBytes: 1024,
    });
    const ci = (await (await get(h, '/v1/snapshots?cloud=prod', TOKENS.ci)).json()) as { snapshots: { id: string }[] };
    expect(ci.snapshots.map((s) => s.id)).toEqual(['img-2']);
    const one = (await (await get(h, '/v1/snapshots?cloud=prod&server=web')).json()) as { snapshots: { id: string }[] };
    expect(one.snapshots.map((s) => s.id)).toEqual(['img-1']);
    const denied = await get(h, '/v1/snapshots?cloud=prod&server=web', TOKENS.ci);
    expect({ status: denied.status, field: ((await denied.json()) as ErrorJson).error.field }).toEqual({ status: 403, field: 'server' });
    const missing = await get(h, '/v1/snapshots');
    expect({ status: missing.status, field: ((await missing.json()) as ErrorJson).error.field }).toEqual({ status: 400, field: 'cloud' });
  });
});

describe('healthz', () => {
  it('is public and says loudly when it runs against the simulator', async () => {
    const res = await h.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Snapflow-Mode')).toBe('simulator');
    const body = (await res.json()) as { status: string; mode: string; warning?: string; db: unknown };
    expect(body).toMatchObject({ status: 'ok', mode: 'simulator', db: { ok: true } });
    expect(body.warning).toMatch(/SIMULATOR/);
  });

  it('cloud mode has no warning; down is a 503', async () => {
    h.health.report = { status: 'down', mode: 'cloud', clouds: [{ name: 'prod', ok: false, message: 'keystone unreachable' }], db: { ok: true } };
    const res = await h.app.request('/healthz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { warning?: string; mode: string };
    expect(body.mode).toBe('cloud');
    expect(body.warning).toBeUndefined();
  });
});

// Prometheus text format 0.0.4: comments, then `name{labels} value` samples.
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/;

describe('metrics', () => {
  it('serves parseable Prometheus text with job, step, OpenStack and HTTP series', async () => {
    const res0 = await postJson(h, '/v1/jobs', { kind: 'snapshot', cloud: 'prod', server: 'web' });
    const { id } = (await res0.json()) as { id: string };
    await until(async () => (await h.store.getJob(id))?.state === 'succeeded', 'job success');
    h.metrics.observeOpenStackCall({ service: 'compute', method: 'post', path: '/servers/x/action', status: 202, requestId: 'req-1', durationMs: 12 });
    h.metrics.observeOpenStackCall({ service: 'image', method: 'GET', path: '/v2/images', status: 0, requestId: undefined, durationMs: 5000 });
    await get(h, `/v1/jobs/${id}`);
    const res = await h.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const typed = new Map<string, string>();
    for (const line of text.trimEnd().split('\n')) {
      if (line.startsWith('# HELP ')) continue;
      const t = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
      if (t) {
        typed.set(t[1]!, t[2]!);
        continue;
      }
      const m = SAMPLE.exec(line);
      expect(m, line).not.toBeNull();
      const base = m![1]!.replace(/_(bucket|sum|count)$/, '');
      expect(typed.has(m![1]!) || typed.get(base) === 'histogram', line).toBe(true);
    }
    expect(text).toContain('snapflow_job_transitions_total{kind="snapshot",to_state="succeeded"} 1');
    expect(text).toMatch(/snapflow_step_duration_seconds_count\{kind="snapshot",step="create-image",outcome="done"\} 1/);
    expect(text).toContain('snapflow_openstack_calls_total{service="compute",method="POST",status="202"} 1');
    expect(text).toContain('snapflow_openstack_calls_total{service="image",method="GET",status="0"} 1');
    expect(text).toContain('snapflow_http_requests_total{method="POST",route="/v1/jobs",status="202"} 1');
    // route patterns, never ids
    expect(text).toContain('route="/v1/jobs/:id"');
    expect(text).not.toContain(id);
  });
});

describe('openapi and docs', () => {
  it('serves an OpenAPI 3.1 document listing every route, with the job request schema', async () => {
    const res = await h.app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { oneOf?: unknown[] } }> }; parameters?: { name: string; in: string }[] }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`));
    // The document is generated from the route table: every registered route, nothing else.
    expect(ops.sort()).toEqual(h.app.routeTable.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort());
    expect(ops).toEqual(expect.arrayContaining(['POST /v1/jobs', 'GET /v1/jobs/{id}/wait', 'POST /v1/schedules/{name}/run', 'GET /healthz']));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods) as [string, { 'x-scope'?: string }][]) {
        const route = h.app.routeTable.find((r) => r.path === path && r.method === method);
        expect(op['x-scope'] ?? null, path).toBe(route?.scope ?? null);
      }
    }
    const submit = doc.paths['/v1/jobs']!.post!;
    expect(submit.requestBody!.content['application/json']!.schema.oneOf).toHaveLength(3);
    expect(submit.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['header:Idempotency-Key']);
    expect(doc.paths['/v1/jobs']!.get!.parameters!.map((p) => p.name).sort()).toEqual(['cloud', 'cursor', 'kind', 'limit', 'server', 'state']);
    expect(doc.paths['/v1/jobs/{id}/wait']!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:timeout']);
  });

  it('renders a self-contained HTML page of the routes', async () => {
    const res = await h.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const p of ['/v1/jobs/{id}/wait', '/v1/schedules/{name}/run', '/v1/snapshots', '/healthz']) expect(html).toContain(p);
    expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema)/);
  });
});

describe('errors', () => {
  it('an unknown route is a 404 in the envelope, with a request id header', async () => {
    const res = await h.app.request('/v2/nothing');
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorJson).error.code).toBe('not_found');
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
  });

  it('an unhandled error is a 500 with the request id and no internals', async () => {
    await h.close();
    h = await startHarness({
      deps: {
        snapshots: {
          list: async () => {
            throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/secret.db');
          },
        },
      },
    });
    const res = await h.app.request('/v1/snapshots?cloud=prod', { headers: { Authorization: `Bearer ${TOKENS.reader}`, 'X-Request-Id': 'trace-123' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/SQLITE|secret\.db/);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error (request id trace-123)', requestId: 'trace-123' } });
    expect(res.headers.get('X-Request-Id')).toBe('trace-123');
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.data).toMatchObject({ requestId: 'trace-123', path: '/v1/snapshots' });
  });
});
