// Workflow suites run the real engine on a real SQLite file against the OpenStack
// simulator, through the real OpenStack client (undici transport).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allWorkflows } from '../../functions/workflows/all-workflows';
import { openstackProvider, type WorkflowConfig, type WorkflowDeps, workflowConfig } from '../../functions/workflows/deps';
import { createEngine, type Engine, type EngineOptions } from '../../shared/engine/engine';
import { createJobStore, type SnapflowJobStore } from '../../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import { type Job, type JobEvent, TERMINAL_STATES } from '../../shared/jobs/types';
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { cloudConfigSchema } from '../../shared/openstack/cloud-config';
import { createTokenCache } from '../../shared/openstack/identity';
import { type SimHandle, type SimOptions, startSimulator } from '../../shared/sim/server';

export const FAST_LATENCY = {
  build: 10,
  snapshot: 80,
  rebuild: 40,
  stop: 20,
  start: 20,
  delete: 10,
  volume: 20,
  volumeSnapshot: 60,
  upload: 10,
};

export interface Logged {
  level: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface Harness {
  sim: SimHandle;
  store: SnapflowJobStore;
  deps: WorkflowDeps;
  engine: Engine;
  dbPath: string;
  logs: Logged[];
  newEngine(over?: Partial<EngineOptions>): Engine;
  openStore(): Promise<SnapflowJobStore>;
  /** Polls the job row until it is terminal (deadline: timeoutMs). */
  finish(jobId: string, timeoutMs?: number, store?: SnapflowJobStore): Promise<Job>;
  events(jobId: string): Promise<JobEvent[]>;
  close(): Promise<void>;
}

export async function setup(opts: { sim?: SimOptions; config?: Partial<WorkflowConfig>; fetch?: WorkflowDeps['fetch'] } = {}): Promise<Harness> {
  const sim = await startSimulator({ ...opts.sim, latency: { ...FAST_LATENCY, ...opts.sim?.latency } });
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-wf-'));
  const dbPath = join(dir, 'jobs.db');
  const stores: SnapflowJobStore[] = [];
  const openStore = async () => {
    const s = createJobStore(openSqliteJobDb(dbPath));
    await s.migrate();
    stores.push(s);
    return s;
  };
  const store = await openStore();
  const transport = createUndiciTransport();
  const cloud = cloudConfigSchema.parse({ name: 'sim', ...sim.cloud });
  const deps: WorkflowDeps = {
    openstack: openstackProvider({ clouds: (n) => (n === 'sim' ? cloud : undefined), transport, tokenCache: createTokenCache() }),
    config: workflowConfig({ ...opts.config }),
    fetch: opts.fetch ?? ((url, init) => fetch(url, init)),
    now: Date.now,
    jobs: store,
  };
  const logs: Logged[] = [];
  const log = {
    info: (message: string, data?: Record<string, unknown>) => void logs.push({ level: 'info', message, data }),
    warn: (message: string, data?: Record<string, unknown>) => void logs.push({ level: 'warn', message, data }),
    error: (message: string, data?: Record<string, unknown>) => void logs.push({ level: 'error', message, data }),
  };
  const engines: Engine[] = [];
  const newEngine = (over: Partial<EngineOptions> = {}) => {
    const e = createEngine({ store, workflows: allWorkflows(deps), owner: `test-${engines.length}`, leaseMs: 5_000, log, timeScale: 0.01, ...over });
    engines.push(e);
    return e;
  };
  const engine = newEngine();
  return {
    sim,
    store,
    deps,
    engine,
    dbPath,
    logs,
    newEngine,
    openStore,
    async finish(jobId, timeoutMs = 15_000, s = store) {
      const end = Date.now() + timeoutMs;
      let lastTick = Date.now();
      for (;;) {
        // The cron safety net of a real deployment: picks up a wake-up that found nothing due.
        if (Date.now() - lastTick > 250) {
          lastTick = Date.now();
          const rescued = await engines[engines.length - 1]!.tick();
          if (rescued.length) logs.push({ level: 'warn', message: 'tick rescued a job', data: { steps: rescued.map((r) => r.step) } });
        }
        const job = await s.getJob(jobId);
        if (job && TERMINAL_STATES.includes(job.state)) return job;
        if (Date.now() > end) {
          const last = (await s.listEvents(jobId, 0, 1000)).slice(-6).map((e) => `${e.type} ${e.step}: ${e.message}`);
          throw new Error(
            `job ${jobId} not finished after ${timeoutMs} ms: ${JSON.stringify({ state: job?.state, step: job?.step, error: job?.error, last })}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    events: (jobId) => store.listEvents(jobId, 0, 1000),
    async close() {
      for (const e of engines) await e.close(5_000).catch(() => undefined);
      for (const s of stores) await s.close().catch(() => undefined);
      await transport.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls fn until it returns a value (deadline: timeoutMs). */
export async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('until: deadline passed');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The simulator's images tagged with this job id. */
export function imagesOfJob(sim: SimHandle, jobId: string) {
  return [...sim.state.images.values()].filter((i) => i.props.snapflow_job === jobId);
}

export const CREATE_IMAGE = 'POST /v2.1/servers/{id}/action:createImage';
export const REBUILD = 'POST /v2.1/servers/{id}/action:rebuild';
