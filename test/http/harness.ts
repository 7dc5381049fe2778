// A real engine on a temp SQLite job store, tiny test workflows standing in for the real
// ones, and the app built the way the entry points build it. Schedules, snapshots and
// health are edge fakes (they stand for OpenStack-backed services).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { HealthReport } from '../../functions/health';
import { createApp } from '../../functions/http/app';
import type { AppDeps } from '../../functions/http/app-deps';
import { createJobNotifier, type JobNotifier } from '../../functions/http/job-notifier';
import type { ScheduleInfo } from '../../functions/schedule-service';
import type { SnapshotInfo } from '../../functions/snapshot-service';
import { sha256Hex } from '../../shared/auth/hash';
import type { TokenEntry } from '../../shared/auth/tokens';
import { defineStep, defineWorkflow } from '../../shared/engine/define';
import { createEngine, type Engine } from '../../shared/engine/engine';
import { done, wait } from '../../shared/engine/results';
import { createJobStore, type SnapflowJobStore } from '../../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import { createSnapflowMetrics, type SnapflowMetrics } from '../../shared/metrics/snapflow-metrics';

export const TOKENS = {
  admin: 'admin-token-0123456789',
  ci: 'ci-token-0123456789ab',
  reader: 'reader-token-01234567',
  submitter: 'submit-token-01234567',
};

export async function tokenEntries(): Promise<TokenEntry[]> {
  return [
    { name: 'ops', sha256: await sha256Hex(TOKENS.admin), scopes: ['admin'], targets: ['*'] },
    { name: 'ci', sha256: await sha256Hex(TOKENS.ci), scopes: ['read', 'submit'], targets: ['prod/*/ci-*'] },
    { name: 'reader', sha256: await sha256Hex(TOKENS.reader), scopes: ['read'], targets: ['*'] },
    { name: 'submitter', sha256: await sha256Hex(TOKENS.submitter), scopes: ['read', 'submit'], targets: ['prod/**', 'lab/**'] },
  ];
}

/** A latch a step can block on until the test opens it. */
export class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((r) => (this.release = r));
  entered = 0;
  open(): void {
    this.release();
  }
}

const retry = { baseMs: 10, maxMs: 100, factor: 2, maxAttempts: 3 };
const name = z.string().min(1).max(255);

export const snapshotParams = z.strictObject({
  cloud: name,
  server: name,
  /** test modes: "hold" blocks create-image on the gate, "park" waits a minute */
  name: z.string().optional(),
  stop: z.boolean().default(false),
  properties: z.record(z.string(), z.string()).default({}),
});
export const rollbackParams = z.strictObject({ cloud: name, server: name, image: z.string().default('latest'), confirm: z.literal(true) });
export const moveParams = z.strictObject({
  cloud: name,
  server: name,
  to: z.strictObject({ cloud: name }),
  keepHostname: z.boolean().default(true),
  confirm: z.literal(true),
});

export const jobRequestSchema = z.discriminatedUnion('kind', [
  snapshotParams.extend({ kind: z.literal('snapshot') }),
  rollbackParams.extend({ kind: z.literal('rollback') }),
  moveParams.extend({ kind: z.literal('move') }),
]);

const lockKey = (p: { cloud: string; server: string }) => `${p.cloud}/${p.server}`;

export function testWorkflows(gate: () => Gate) {
  const snapshot = defineWorkflow<z.output<typeof snapshotParams>>({
    kind: 'snapshot',
    params: snapshotParams,
    lockKey,
    steps: [
      defineStep({ name: 'resolve-server', retry, timeout: 5_000, run: () => done({ serverId: 'srv-1' }) }),
      defineStep({
        name: 'create-image',
        retry,
        timeout: 20_000,
        mutating: true,
        run: async (ctx) => {
          const p = ctx.params as z.output<typeof snapshotParams>;
          if (p.name === 'park') return wait({ after: 60_000, reason: 'parked by the test' });
          if (p.name === 'hold') {
            const g = gate();
            g.entered++;
            await g.opened;
          }
          return done({ imageId: `img-${ctx.job.id.slice(0, 8)}` });
        },
      }),
      defineStep({ name: 'wait-image-active', retry, timeout: 5_000, run: () => done() }),
    ],
    plan: (p) => (p.stop ? ['resolve-server', 'stop', 'create-image', 'wait-image-active', 'start'] : ['resolve-server', 'create-image', 'wait-image-active']),
  });
  const rollback = defineWorkflow({
    kind: 'rollback',
    params: rollbackParams,
    lockKey,
    steps: [defineStep({ name: 'rebuild', retry, timeout: 5_000, run: () => done() })],
  });
  const move = defineWorkflow({
    kind: 'move',
    params: moveParams,
    lockKey,
    // the source, and the destination cloud under the same name
    targets: (p: z.output<typeof moveParams>) => [
      { cloud: p.cloud, server: p.server },
      { cloud: p.to.cloud, server: p.server },
    ],
    steps: [defineStep({ name: 'stop', retry, timeout: 5_000, run: () => done() })],
  });
  return [snapshot, rollback, move];
}

export const T_NOW = Date.parse('2026-11-26T12:00:00Z');

export const fakeSchedules: ScheduleInfo[] = [
  {
    name: 'nightly',
    description: 'rollback points',
    enabled: true,
    cron: '0 2 * * *',
    timezone: 'Europe/Zurich',
    nextRunAt: new Date('2026-11-27T01:00:00Z'),
    target: { cloud: 'prod', servers: ['web'] },
    retention: { keep: 7 },
    stop: false,
  },
  { name: 'off', enabled: false, cron: '0 3 * * *', timezone: 'UTC', nextRunAt: null, target: { cloud: 'lab', selector: { tier: 'test' } } },
];

export const fakeSnapshots: SnapshotInfo[] = [
  {
    id: 'img-1',
    name: 'snapflow-web-1',
    status: 'active',
    cloud: 'prod',
    server: 'web',
    serverId: 'srv-web',
    policy: 'nightly',
    jobId: 'job-1',
    createdAt: new Date(T_NOW - 3_600_000),
    sizeBytes: 1024,
  },
  {
    id: 'img-2',
    name: 'snapflow-ci-a-1',
    status: 'active',
    cloud: 'prod',
    server: 'ci-a',
    serverId: 'srv-ci',
    policy: null,
    jobId: null,
    createdAt: new Date(T_NOW - 90_000),
    sizeBytes: null,
  },
];

export interface Harness {
  app: ReturnType<typeof createApp>;
  engine: Engine;
  store: SnapflowJobStore;
  notifier: JobNotifier;
  metrics: SnapflowMetrics;
  gate: Gate;
  health: { report: HealthReport };
  ranNow: string[];
  errors: { message: string; data?: Record<string, unknown> }[];
  /** A fresh gate for the next "hold" job. */
  resetGate(): Gate;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** false: the engine does not feed the notifier (as if another instance ran the jobs) */
  wireNotifier?: boolean;
  waitRecheckMs?: number;
  deps?: Partial<AppDeps>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-http-'));
  const store = createJobStore(openSqliteJobDb(join(dir, 'jobs.db')));
  await store.migrate();
  const notifier = createJobNotifier();
  const metrics = createSnapflowMetrics();
  let gate = new Gate();
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  const workflows = testWorkflows(() => gate);
  const engine = createEngine({
    store,
    workflows,
    owner: 'http-test',
    leaseMs: 30_000,
    log: quiet,
    onEvent: (e) => {
      metrics.observeEngineEvent(e);
      if (opts.wireNotifier !== false) notifier.onEvent(e);
    },
  });
  const health = { report: { status: 'ok', mode: 'simulator', clouds: [{ name: 'prod', ok: true }], db: { ok: true, dialect: 'sqlite' } } as HealthReport };
  const ranNow: string[] = [];
  const errors: Harness['errors'] = [];
  const app = createApp({
    engine,
    store,
    workflows,
    jobRequestSchema,
    auth: { tokens: await tokenEntries() },
    notifier,
    metrics,
    now: () => T_NOW,
    log: { error: (message, data) => errors.push({ message, ...(data ? { data } : {}) }) },
    health: () => health.report,
    schedules: {
      list: () => fakeSchedules,
      runNow: async (n, principal) => {
        if (!fakeSchedules.some((s) => s.name === n)) return null;
        ranNow.push(`${n} by ${principal.name}`);
        const { job, created } = await engine.submit('snapshot', { cloud: 'prod', server: 'web' }, { idempotencyKey: `schedule:${n}:now:web` });
        return { schedule: n, jobs: [{ id: job.id, server: 'web', created }] };
      },
    },
    snapshots: { list: async (q) => fakeSnapshots.filter((s) => s.cloud === q.cloud && (q.server === undefined || s.server === q.server)) },
    ...(opts.waitRecheckMs !== undefined ? { waitRecheckMs: opts.waitRecheckMs } : {}),
    ...opts.deps,
  });
  return {
    app,
    engine,
    store,
    notifier,
    metrics,
    get gate() {
      return gate;
    },
    health,
    ranNow,
    errors,
    resetGate: () => (gate = new Gate()),
    async close() {
      gate.open();
      await engine.close(10_000);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const auth = (token: string, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${token}`, ...extra });

export function postJson(h: Harness, path: string, body: unknown, token = TOKENS.submitter, headers: Record<string, string> = {}) {
  return h.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth(token, headers) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function get(h: Harness, path: string, token = TOKENS.reader, init: RequestInit = {}) {
  return h.app.request(path, { ...init, headers: auth(token) });
}

/** Polls `fn` until it returns a truthy value (bounded). */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ErrorJson {
  error: { code: string; message: string; field?: string; details?: { field: string; message: string }[]; requestId?: string };
}
