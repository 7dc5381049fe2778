// One `npm start` (functions/node-main.ts) as a child process for a benchmark: its own data
// dir and port, logs to a file (the bench process never touches them while it measures),
// nothing of the caller's OpenStack or snapflow environment, ready once /healthz answers ok.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processCpuSeconds } from './proc-cpu';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(ROOT, 'functions', 'node-main.ts');
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

export interface NodeService {
  name: string;
  pid: number;
  url: string;
  logFile: string;
  /** user+system CPU seconds so far (from /proc) */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL if it has not exited within the deadline */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

export async function startNodeService(o: { name: string; dir: string; env: Record<string, string>; readyMs?: number }): Promise<NodeService> {
  const dataDir = join(o.dir, o.name);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_') && !k.startsWith('SNAPFLOW_')) env[k] = v;
  Object.assign(env, { SNAPFLOW_DATA_DIR: dataDir, SNAPFLOW_HOST: '127.0.0.1', SNAPFLOW_PORT: String(port), ...o.env });
  const logFile = join(dataDir, 'service.log');
  const fd = openSync(logFile, 'a');
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile per service, written there when it stops
  const profDir = process.env.BENCH_CPU_PROF;
  const prof = profDir ? ['--cpu-prof', '--cpu-prof-dir', join(profDir, o.name)] : [];
  const child = spawn(process.execPath, [...prof, '--import', TSX, ENTRY], { cwd: dataDir, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (o.readyMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${o.name} exited with ${child.exitCode} during start-up; see ${logFile}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${o.name} not healthy within ${o.readyMs ?? 60_000} ms; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: o.name, pid: child.pid ?? 0, url, logFile, cpuSeconds: () => processCpuSeconds(child.pid ?? 0), stop };
}
