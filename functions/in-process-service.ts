// The real service stack (composeService, as `npm start` builds it) in this process: zod
// config from buildConfig, the SQLite job table in a temp dir, the undici transport, and
// clouds from clouds.yaml. Requests go through `app.request()`, the same Hono app a curl
// reaches over the socket. Used by the lab tier and by bench/api-economy.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../shared/auth/hash';
import type { TokenEntry } from '../shared/auth/tokens';
import { buildConfig, ConfigError } from '../shared/config/load';
import { checkWebhookClouds } from '../shared/config/webhook-clouds';
import type { StepLogger } from '../shared/engine/define';
import { createJobStore, type SnapflowJobStore } from '../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../shared/jobs/open-sqlite-node';
import { createUndiciTransport } from '../shared/node/undici-transport';
import type { CloudConfig } from '../shared/openstack/cloud-config';
import { loadCloudConfig } from '../shared/openstack/clouds-node';
import { type ScheduleInput, ScheduleSchema } from '../shared/schedule/schema';
import { composeService, type Service, type ServiceInput } from './compose';
import { listen, type NodeServer } from './node-listen';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface JobJson {
  id: string;
  kind: string;
  state: string;
  step: string | null;
  result: Record<string, unknown> | null;
  error: { code: string; message: string; step?: string } | null;
  timedOut?: boolean;
}

export interface EventJson {
  seq: number;
  type: string;
  step: string | null;
  message: string | null;
}

export interface InProcessService {
  service: Service;
  store: SnapflowJobStore;
  /** the admin token `request` uses (scope admin, every target) */
  token: string;
  logs: Array<{ level: string; message: string }>;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** POST /v1/jobs; throws unless 202. */
  submit(body: Record<string, unknown>): Promise<string>;
  /** GET /v1/jobs/:id/wait, repeated until terminal or `timeoutMs` passes. */
  wait(id: string, timeoutMs?: number): Promise<JobJson>;
  events(id: string): Promise<EventJson[]>;
  /** Serves the app on 127.0.0.1 (an ephemeral port) for clients in other processes; its base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** clouds.yaml environment (OS_CLIENT_CONFIG_FILE…); default process.env. */
  env?: Record<string, string | undefined>;
  cloudNames: string[];
  mode: 'simulator' | 'cloud';
  /** Safety-net tick period, as node-main.ts (5 s). */
  tickMs?: number;
  /** Content of a snapflow config file (validated by buildConfig as if read from one). */
  configFile?: unknown;
  /** The environment buildConfig resolves the file's `secretEnv`s from (default: none). */
  configEnv?: Record<string, string>;
  /** API tokens besides the service's own admin token (auth tests). */
  tokens?: TokenEntry[];
  schedules?: ScheduleInput[];
  /** Multiplies retry/poll delays (tests only, as composeService). */
  timeScale?: number;
  /** As composeService: workflows besides the v1 kinds, and the claim re-check interval. */
  workflows?: ServiceInput['workflows'];
  claimRecheckMs?: number;
}

export async function startInProcessService(opts: InProcessOptions): Promise<InProcessService> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-inproc-'));
  const configEnv = opts.configEnv ?? {};
  const config = await buildConfig(opts.configFile !== undefined ? { file: opts.configFile, source: 'test config', env: configEnv } : { env: configEnv });
  const hookClouds = checkWebhookClouds(config.webhooks, { names: opts.cloudNames });
  if (hookClouds.problems.length > 0) throw new ConfigError(hookClouds.problems);
  const token = randomBytes(24).toString('base64url');
  config.tokens.push({ name: 'lab-admin', sha256: await sha256Hex(token), scopes: ['admin'], targets: ['**'] }, ...(opts.tokens ?? []));
  const store = createJobStore(openSqliteJobDb(join(dir, 'snapflow.sqlite')));
  await store.migrate();
  const transport = createUndiciTransport();
  const env = opts.env ?? process.env;
  const cache = new Map<string, CloudConfig>();
  const clouds = (name: string): CloudConfig | undefined => {
    if (!opts.cloudNames.includes(name)) return undefined;
    if (!cache.has(name)) cache.set(name, loadCloudConfig(name, { env }));
    return cache.get(name);
  };
  const logs: InProcessService['logs'] = [];
  const log: StepLogger = {
    info: (message) => void logs.push({ level: 'info', message }),
    warn: (message) => void logs.push({ level: 'warn', message }),
    error: (message) => void logs.push({ level: 'error', message }),
  };
  const service = composeService({
    config,
    store,
    clouds,
    cloudNames: opts.cloudNames,
    transport,
    schedules: (opts.schedules ?? []).map((s) => ScheduleSchema.parse(s)),
    mode: opts.mode,
    owner: `in-process:${process.pid}:${randomUUID().slice(0, 8)}`,
    log,
    ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    ...(opts.workflows ? { workflows: opts.workflows } : {}),
    ...(opts.claimRecheckMs !== undefined ? { claimRecheckMs: opts.claimRecheckMs } : {}),
  });
  let server: NodeServer | undefined;
  const safety = setInterval(() => void service.engine.tick().catch(() => undefined), opts.tickMs ?? 5_000);

  async function request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await service.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as T };
  }

  return {
    service,
    store,
    token,
    logs,
    request,
    async submit(body) {
      const res = await request<{ id: string }>('POST', '/v1/jobs', body);
      if (res.status !== 202) throw new Error(`POST /v1/jobs ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
    async wait(id, timeoutMs = 300_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = Math.ceil((deadline - Date.now()) / 1000);
        const res = await request<JobJson>('GET', `/v1/jobs/${id}/wait?timeout=${Math.max(1, Math.min(300, left))}`);
        if (res.status !== 200) throw new Error(`wait ${id}: ${res.status} ${JSON.stringify(res.body)}`);
        if (!res.body.timedOut || Date.now() >= deadline) return res.body;
      }
    },
    async events(id) {
      const res = await request<{ events: EventJson[] }>('GET', `/v1/jobs/${id}/events?limit=1000`);
      return res.body.events;
    },
    async listen() {
      if (!server) server = (await listen(service.app.fetch, '127.0.0.1', 0)).server;
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    async close() {
      clearInterval(safety);
      if (server) {
        // a runner's long-polled claim would hold close() until it timed out
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await new Promise<void>((ok) => server!.close(() => ok()));
      }
      await service.engine.close(10_000).catch(() => undefined);
      await store.close().catch(() => undefined);
      await transport.close?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
