// Test helper: the real Workers entry (wrangler.toml `main`) in `wrangler dev --local`
// (workerd + a local D1 in a temp dir), on a free loopback port, with bindings from an env
// file (secrets stay off the command line). Under strace when installed, so a test can
// prove nothing left the machine. Every wait has a deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { STRACE, straceArgs } from './strace';

const ROOT = join(import.meta.dirname, '..', '..');
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

export interface WranglerDev {
  base: string;
  /** Everything wrangler and the Worker printed so far. */
  output(): string;
  /** The strace log (null without strace). */
  straceLog(): string | null;
  /** Fires one Cron Trigger event (`/__scheduled`). */
  cron(expression?: string): Promise<void>;
  stop(): Promise<void>;
}

export const labCloudsFile = () => process.env.OS_CLIENT_CONFIG_FILE ?? '/var/tmp/oslab/clouds.yaml';

/** The lab's clouds.yaml entry `name`, if the file exists and the cloud is on loopback. */
export function labCloudEntry(name: string): Record<string, unknown> | undefined {
  // The real-cloud tier sets OS_CLOUD once the lab is up; a clouds.yaml left on disk by an
  // earlier run says nothing about whether the lab is running now (npm test runs first).
  if (!process.env.OS_CLOUD) return undefined;
  const file = labCloudsFile();
  if (!existsSync(file)) return undefined;
  const entry = (parseYaml(readFileSync(file, 'utf8')) as { clouds?: Record<string, Record<string, unknown>> } | null)?.clouds?.[name];
  const authUrl = (entry?.auth as { auth_url?: string } | undefined)?.auth_url;
  // Only ever a loopback cloud: these tests must not send traffic anywhere else.
  if (!authUrl || !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(authUrl).hostname)) return undefined;
  return entry;
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

export async function startWranglerDev(vars: Record<string, string>, startupMs = 60_000): Promise<WranglerDev> {
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
  ];
  const straceOut = join(dir, 'strace.txt');
  const [cmd, argv] = STRACE ? [STRACE, [...straceArgs(straceOut), process.execPath, ...args]] : [process.execPath, args];
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
    straceLog: () => (STRACE && existsSync(straceOut) ? readFileSync(straceOut, 'utf8') : null),
    async cron(expression = '* * * * *') {
      const res = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(expression)}`, { signal: AbortSignal.timeout(30_000) });
      await res.text();
      if (res.status !== 200) throw new Error(`/__scheduled answered ${res.status}`);
    },
    stop,
  };
}
