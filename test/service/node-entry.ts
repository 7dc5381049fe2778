// The real Node entry (`npm start` = functions/node-main.ts) as a child process, from a
// temp working directory with no OpenStack configuration anywhere it could look. Shared by
// the start-up, configuration-error and secrets tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(ROOT, 'functions', 'node-main.ts');
// `--import tsx` resolves from the cwd, which is a temp dir here: name the loader by path.
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Running {
  child: ChildProcess;
  port: number;
  dir: string;
  output(): string;
  exited: Promise<Exit>;
}

export interface LogLine {
  level: number;
  msg: string;
  raw: string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** For afterAll: kills what is still running, removes the temp dirs. */
export async function cleanUpServices(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-main-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'home'));
  return dir;
}

export async function startService(dir: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const port = extraEnv.SNAPFLOW_PORT ? Number(extraEnv.SNAPFLOW_PORT) : await freePort();
  const env: Record<string, string> = {};
  // Nothing of the caller's OpenStack setup may leak in (the lab exports OS_* variables).
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_') && !k.startsWith('SNAPFLOW_')) env[k] = v;
  Object.assign(env, {
    HOME: join(dir, 'home'),
    SNAPFLOW_DATA_DIR: join(dir, 'data'),
    SNAPFLOW_DB: `sqlite:${join(dir, 'jobs.sqlite')}`,
    SNAPFLOW_HOST: '127.0.0.1',
    SNAPFLOW_PORT: String(port),
    ...extraEnv,
  });
  const child = spawn(process.execPath, ['--import', TSX, ENTRY], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<Exit>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, port, dir, output: () => out, exited };
}

/** Every output line; JSON log lines parsed (level 50 = error), anything else level -1. */
export function logLines(s: Running): LogLine[] {
  return s
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((raw) => {
      try {
        const j = JSON.parse(raw) as { level?: number; msg?: string };
        return { level: j.level ?? -1, msg: j.msg ?? '', raw };
      } catch {
        return { level: -1, msg: raw, raw };
      }
    });
}

export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Health {
  status: string;
  mode: string;
  clouds: { name: string; ok: boolean; message?: string }[];
}

export const health = (s: Running) =>
  until<Health>('/healthz', 60_000, async () => {
    if (s.child.exitCode !== null) throw new Error(`exited early:\n${s.output()}`);
    const res = await fetch(`http://127.0.0.1:${s.port}/healthz`);
    return (await res.json()) as Health;
  });

/** The exit of a service expected to stop by itself. */
export function exitOf(s: Running, ms = 60_000): Promise<Exit> {
  return Promise.race([s.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running after ${ms} ms:\n${s.output()}`)), ms))]);
}

export async function stop(s: Running): Promise<Exit> {
  s.child.kill('SIGTERM');
  return Promise.race([s.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no exit within 8 s after SIGTERM:\n${s.output()}`)), 8_000))]);
}
