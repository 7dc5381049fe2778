// Start-up of the real Node entry (`npm start` = functions/node-main.ts) as a child process,
// from a temp working directory with no OpenStack configuration anywhere it could look.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(ROOT, 'functions', 'node-main.ts');
// `--import tsx` resolves from the cwd, which is a temp dir here: name the loader by path.
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

interface Running {
  child: ChildProcess;
  port: number;
  dir: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-main-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'home'));
  return dir;
}

async function startService(dir: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { child, port, dir, output: () => out, exited };
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Health {
  status: string;
  mode: string;
  clouds: { name: string; ok: boolean; message?: string }[];
}

const health = (s: Running) =>
  until<Health>('/healthz', 30_000, async () => {
    if (s.child.exitCode !== null) throw new Error(`exited early:\n${s.output()}`);
    const res = await fetch(`http://127.0.0.1:${s.port}/healthz`);
    return (await res.json()) as Health;
  });

async function stop(s: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  s.child.kill('SIGTERM');
  return Promise.race([
    s.exited,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no exit within 8 s after SIGTERM:\n${s.output()}`)), 8_000)),
  ]);
}

describe('node-main start-up', () => {
  it('with no cloud configured: simulator mode, a 0600 admin token, a demo snapshot through the API, clean SIGTERM', async () => {
    const s = await startService(tempDir());
    const h = await health(s);
    expect(h).toMatchObject({ status: 'ok', mode: 'simulator' });
    expect(s.output()).toContain('BUILT-IN OPENSTACK SIMULATOR');

    const tokenFile = join(s.dir, 'data', 'admin-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(s.output()).not.toContain(token);
    const auth = { authorization: `Bearer ${token}` };

    const submit = await fetch(`http://127.0.0.1:${s.port}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'snapshot', cloud: 'sim', server: 'demo-web' }),
    });
    expect(submit.status).toBe(202);
    const { id } = (await submit.json()) as { id: string };
    const job = await until<{ state: string; result: Record<string, unknown> | null }>('the snapshot job', 60_000, async () => {
      const res = await fetch(`http://127.0.0.1:${s.port}/v1/jobs/${id}/wait?timeout=10`, { headers: auth });
      const j = (await res.json()) as { state: string; result: Record<string, unknown> | null };
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    });
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ imageId: expect.any(String) });

    expect(await stop(s)).toEqual({ code: 0, signal: null });
  });

  it('an invalid configuration file stops start-up naming the file and the field', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad-config.yaml');
    writeFileSync(file, 'limits:\n  snapshotsPerProject: 0\n');
    const s = await startService(dir, { SNAPFLOW_CONFIG: file });
    const exit = await Promise.race([
      s.exited,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running:\n${s.output()}`)), 20_000)),
    ]);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(s.output()).toContain('invalid configuration');
    expect(s.output()).toMatch(/bad-config\.yaml: limits\.snapshotsPerProject/);
  });

  it('a configured but unreachable cloud: cloud mode (not the simulator), an error naming it, /healthz degraded', async () => {
    const dir = tempDir();
    const closed = await freePort();
    writeFileSync(
      join(dir, 'clouds.yaml'),
      [
        'clouds:',
        '  faraway:',
        '    auth:',
        `      auth_url: http://127.0.0.1:${closed}/v3`,
        '      username: nobody',
        '      password: not-a-real-password',
        '      project_name: p',
        '      user_domain_name: Default',
        '      project_domain_name: Default',
        '    region_name: RegionOne',
        '',
      ].join('\n'),
    );
    const s = await startService(dir);
    const h = await health(s);
    expect(h.mode).toBe('cloud');
    expect(h.status).toBe('degraded');
    expect(h.clouds).toEqual([expect.objectContaining({ name: 'faraway', ok: false })]);
    await until('the start-up error', 15_000, async () => (s.output().includes('cloud \\"faraway\\" is configured but unreachable') ? true : undefined));
    expect(s.output()).not.toContain('SIMULATOR');
    expect(s.output()).not.toContain('not-a-real-password');
    expect(await stop(s)).toEqual({ code: 0, signal: null });
  });
});
