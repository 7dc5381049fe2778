// Restart recovery of the real Node entry (`npm start` = functions/node-main.ts) on SQLite:
// kill -9 while jobs are running (each in the middle of a step, holding a lease), start the
// service again on the same job table, and measure by the job events how soon each job
// resumes. A restarted service holds the table's instance lock, so it takes its dead
// predecessor's leases back at once instead of waiting them out; a second service on the
// same file is refused with one line naming the setting and the holder's pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobStore, type SnapflowJobStore } from '../../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import type { Job } from '../../shared/jobs/types';
import { type SimHandle, startSimulator } from '../../shared/sim/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(ROOT, 'functions', 'node-main.ts');
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
// the default snapshot concurrency per project: both jobs are running at the kill
const JOBS = 2;
const IMAGE_GET = 'GET /v2/images/{id}';

interface Service {
  child: ChildProcess;
  spawnedAt: number;
  port: number;
  output(): string;
  exited: Promise<number | null>;
}

let sim: SimHandle;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sim = await startSimulator({ withCinder: false });
  dir = mkdtempSync(join(tmpdir(), 'snapflow-restart-'));
  mkdirSync(join(dir, 'home'));
  mkdirSync(join(dir, 'schedules'));
  writeFileSync(join(dir, 'clouds.yaml'), sim.cloudsYaml(), { mode: 0o600 });
});
afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startService(): Promise<Service> {
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_') && !k.startsWith('SNAPFLOW_')) env[k] = v;
  Object.assign(env, {
    HOME: join(dir, 'home'),
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    SNAPFLOW_DATA_DIR: join(dir, 'data'),
    SNAPFLOW_DB: `sqlite:${join(dir, 'jobs.sqlite')}`,
    SNAPFLOW_SCHEDULES_DIR: join(dir, 'schedules'),
    SNAPFLOW_HOST: '127.0.0.1',
    SNAPFLOW_PORT: String(port),
  });
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, ['--import', TSX, ENTRY], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, spawnedAt, port, output: () => out, exited };
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const healthy = (s: Service) =>
  until('/healthz', 60_000, async () => {
    if (s.child.exitCode !== null) throw new Error(`exited early:\n${s.output()}`);
    return (await fetch(`http://127.0.0.1:${s.port}/healthz`)).ok;
  });

describe('restart recovery (real node-main, SQLite, kill -9)', () => {
  it('a restarted service resumes every running job at once, long before the dead one’s leases run out; a second service is refused', async () => {
    const servers = Array.from({ length: JOBS }, (_, i) => sim.state.addServer({ name: `restart-${i}` }));
    // Each job's wait-image-active step will hang in its Glance read: running, lease held.
    sim.faults.add({ route: IMAGE_GET, delayMs: 60_000, times: JOBS });

    const first = await startService();
    await healthy(first);
    const token = readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim();
    const ids: string[] = [];
    for (const s of servers) {
      const res = await fetch(`http://127.0.0.1:${first.port}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'snapshot', cloud: 'sim', server: s.name }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }

    const store: SnapflowJobStore = createJobStore(openSqliteJobDb(join(dir, 'jobs.sqlite')));
    try {
      const held = await until('both jobs inside their image read', 60_000, async () => {
        const jobs = (await Promise.all(ids.map((id) => store.getJob(id)))) as Job[];
        const inRead = jobs.every((j) => j.state === 'running' && j.step === 'wait-image-active');
        return inRead && sim.counters.get(IMAGE_GET) >= JOBS && jobs;
      });
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await first.exited;

      const second = await startService();
      await healthy(second);
      // the same job table, a second service: refused at start, one line, no stack trace
      const intruder = await startService();
      const code = await Promise.race([
        intruder.exited,
        new Promise<never>((_, ko) => setTimeout(() => ko(new Error(`still running:\n${intruder.output()}`)), 60_000)),
      ]);
      expect(code).not.toBe(0);
      expect(intruder.output()).toContain('SNAPFLOW_DB');
      expect(intruder.output()).toContain(`in use by another snapflow service (pid ${second.child.pid}`);
      expect(intruder.output()).not.toMatch(/\n\s+at /);

      const delays: number[] = [];
      const afterStart: number[] = [];
      for (const job of held) {
        const end = await until(`job ${job.id} to end`, 60_000, async () => {
          const j = await store.getJob(job.id);
          return j !== null && ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
        });
        expect(end.state).toBe('succeeded');
        const events = await store.listEvents(job.id);
        const revoked = events.findIndex((e) => e.type === 'lease.revoked');
        expect(revoked, `events: ${events.map((e) => e.type).join(', ')}`).toBeGreaterThan(0);
        const resumed = events.slice(revoked).find((e) => e.type === 'claimed')!;
        expect(resumed.step).toBe('wait-image-active');
        // taken back, not waited out: resumed before the dead owner's lease would have ended
        expect(resumed.at).toBeLessThan(job.leaseExpiresAt!);
        delays.push(resumed.at - killedAt);
        afterStart.push(resumed.at - second.spawnedAt);
      }
      // one image per job across the kill
      for (const id of ids) expect([...sim.state.images.values()].filter((i) => i.props.snapflow_job === id)).toHaveLength(1);
      console.info(
        `resume after kill -9: ${delays.join(', ')} ms (of which the new process's start-up: resumed ${afterStart.join(', ')} ms after its spawn); ` +
          `the dead leases had ${held.map((j) => j.leaseExpiresAt! - killedAt).join(', ')} ms left`,
      );

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await store.close();
    }
  }, 240_000);
});
