// What the clone, move and rename tests share: the simulator (`sim` = project admin, the
// source; `sim-dest` = project dest), the real service in this process (SQLite, served over
// HTTP, a short runner lease, a short DNS expiry wait, an injected resolver), and a real
// `snapflow-runner` process with the tool doubles. A source server boots from an image whose
// bytes the doubles take for qcow2, so its snapshots go through the runner like real disks.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type FakeTools, fakeTools } from '../../bench/lib/runner-doubles/fake-tools';
import { fakeQcow2, type SimEnv, startSimEnv } from '../../bench/lib/runner-doubles/harness';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import type { Server } from '../../shared/sim/model';

const BIN = fileURLToPath(new URL('../../runner/bin/snapflow-runner.mjs', import.meta.url));
const TOKEN = 'cmr-runner-token-0123456789abcdef';

export interface CmrEnv {
  env: SimEnv;
  svc: InProcessService;
  tools: FakeTools;
  scratchDir: string;
  /** Host names the injected resolver answers for; by default a name resolves while a server has it in either project. */
  dns: { mode: 'servers' | 'always' };
  /** A running runner (replaced by restartRunner). */
  runner(): ChildProcess;
  restartRunner(): ChildProcess;
  /** An ACTIVE image-backed server in project admin (flavor m1.tiny). */
  addSource(name: string, over?: { metadata?: Record<string, string>; volumeBacked?: boolean; imageProps?: Record<string, unknown> }): Server;
  /** Servers by name in a project (admin or dest), as the simulator has them. */
  servers(project: 'admin' | 'dest'): Server[];
  /** Images tagged with the job in either project. */
  jobImages(jobId: string): { id: string; project: string; status: string; props: Record<string, unknown> }[];
  close(): Promise<void>;
}

export interface CmrOptions {
  /** More of snapflow's config file (e.g. `webhooks`), beside the runner and DNS settings. */
  config?: Record<string, unknown>;
  /** The environment the config's `secretEnv`s are read from. */
  configEnv?: Record<string, string>;
}

export async function startCmrEnv(opts: CmrOptions = {}): Promise<CmrEnv> {
  const env = await startSimEnv();
  const tools = fakeTools();
  const dns: CmrEnv['dns'] = { mode: 'servers' };
  const state = env.sim.state;
  const svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: env.cloudsFile },
    cloudNames: ['sim', 'sim-dest'],
    mode: 'simulator',
    configFile: { runner: { leaseTtl: '3s' }, dns: { domain: 'example.org', expiryWait: '2s' }, ...opts.config },
    ...(opts.configEnv ? { configEnv: opts.configEnv } : {}),
    tokens: [{ name: 'runner', sha256: await sha256Hex(TOKEN), scopes: ['runner'], targets: [] }],
    timeScale: 0.02,
    claimRecheckMs: 200,
    hostResolves: async (fqdn) => {
      if (dns.mode === 'always') return true;
      const name = fqdn.replace(/\.example\.org$/, '');
      return [...state.raw.servers.values()].some((s) => s.name === name);
    },
  });
  const scratchDir = join(env.dir, 'scratch');
  const configFile = join(env.dir, 'runner.yaml');
  writeFileSync(
    configFile,
    stringify({
      serviceUrl: await svc.listen(),
      runnerId: 'cmr-runner',
      scratchDir,
      cloudsFile: env.cloudsFile,
      claimWaitSeconds: 5,
      tools: tools.tools,
      download: { resumeAttempts: 1, resumeDelay: '100ms' },
    }),
  );
  const start = () =>
    spawn(process.execPath, [BIN, '--config', configFile], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: TOKEN, SNAPFLOW_RUNNER_SOURCE: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  let runner = start();
  const projectOf = (id: string) => [...state.raw.projects.values()].find((p) => p.id === id)?.name ?? id;
  return {
    env,
    svc,
    tools,
    scratchDir,
    dns,
    runner: () => runner,
    restartRunner() {
      runner = start();
      return runner;
    },
    addSource(name, over = {}) {
      const image = state.addImage({ name: `${name}-base`, diskFormat: 'qcow2', props: over.imageProps ?? {} }, fakeQcow2(200_000));
      return state.addServer({
        name,
        imageId: image.id,
        flavorId: '1',
        ...(over.metadata ? { metadata: over.metadata } : {}),
        volumeBacked: over.volumeBacked ?? false,
      });
    },
    servers(project) {
      return [...state.raw.servers.values()].filter((s) => projectOf(s.projectId) === project);
    },
    jobImages(jobId) {
      return [...state.raw.images.values()]
        .filter((i) => i.props.snapflow_job === jobId && i.status !== 'deleted')
        .map((i) => ({ id: i.id, project: projectOf(i.owner), status: i.status, props: i.props }));
    },
    async close() {
      if (runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
      for (const pid of tools.pids('virt-sysprep')) if (tools.running(pid)) process.kill(pid, 'SIGKILL');
      await svc.close();
      await env.close();
      tools.remove();
    },
  };
}

export async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The runner's scratch directory holds nothing of a task (only its pid file while it runs). */
export function scratchEmpty(dir: string): boolean {
  return readdirSync(dir).every((f) => f === 'runner.pid');
}
