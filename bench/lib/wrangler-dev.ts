// The real Workers entry (wrangler.toml `main`, or a bench's own config) in `wrangler dev
// --local` (workerd, a local D1 and local Queues in a temp dir), on a free loopback port,
// with bindings from an env file (secrets stay off the command line). Under strace when
// installed, so a test can prove nothing left the machine. Every wait has a deadline.
// Shared by test/deploy and bench/ (the Worker target of bench/nightly.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRACE, straceArgs } from './strace';

const ROOT = join(import.meta.dirname, '..', '..');
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

export interface WranglerDev {
  base: string;
  /** Everything wrangler and the Worker printed so far. */
  output(): string;
  /** The strace log (null without strace). */
  straceLog(): string | null;
  /** wrangler's process id (the leader of its process group) */
  pid: number | undefined;
  /** `--persist-to`: the local D1 database and queues live under it (removed by stop()) */
  stateDir: string;
  /** Fires one Cron Trigger event (`/__scheduled`), as the platform does; `at` is its scheduledTime. */
  cron(expression?: string, at?: number): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The environment wrangler must run in here: nothing it does may leave the machine (no
 * metrics, no error reports, no update check, no Request.cf download, no account).
 */
export function offlineWranglerEnv(logPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    // the banner is what triggers wrangler's npm update check
    WRANGLER_HIDE_BANNER: 'true',
    WRANGLER_LOG_PATH: logPath,
    // miniflare would otherwise download the Request.cf object from workers.cloudflare.com
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    CI: '1',
  };
  for (const k of ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID', 'CF_API_TOKEN', 'CF_ACCOUNT_ID']) delete env[k];
  return env;
}

export interface WranglerDevOptions {
  startupMs?: number;
  /** a wrangler config other than the repository's wrangler.toml */
  configPath?: string;
  /** strace the run when strace is installed (default true) */
  strace?: boolean;
}

export async function startWranglerDev(vars: Record<string, string>, opts: WranglerDevOptions = {}): Promise<WranglerDev> {
  const startupMs = opts.startupMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-dev-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'dev.env'),
    Object.entries(vars)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
    { mode: 0o600 },
  );
  const env = offlineWranglerEnv(join(dir, 'logs'));
  const args = [
    WRANGLER,
    'dev',
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    '0',
    '--test-scheduled',
    '--persist-to',
    join(dir, 'state'),
    '--env-file',
    join(dir, 'dev.env'),
    '--show-interactive-dev-session=false',
    ...(opts.configPath ? ['--config', opts.configPath] : []),
  ];
  const straceOut = join(dir, 'strace.txt');
  const strace = opts.strace === false ? undefined : STRACE;
  const [cmd, argv] = strace ? [strace, [...straceArgs(straceOut), process.execPath, ...args]] : [process.execPath, args];
  // Own process group, so stop() ends wrangler and its workerd children together.
  const child: ChildProcess = spawn(cmd, argv, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const until = Date.now() + startupMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
    }
    const up = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) break;
    if (Date.now() > until) {
      await stop();
      throw new Error(`wrangler dev did not answer within ${startupMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    base,
    output: () => output,
    pid: child.pid,
    stateDir: join(dir, 'state'),
    straceLog: () => (strace && existsSync(straceOut) ? readFileSync(straceOut, 'utf8') : null),
    async cron(expression = '* * * * *', at?: number) {
      const time = at === undefined ? '' : `&time=${at}`;
      const res = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(expression)}${time}`, { signal: AbortSignal.timeout(30_000) });
      await res.text();
      if (res.status !== 200) throw new Error(`/__scheduled answered ${res.status}`);
    },
    stop,
  };
}
