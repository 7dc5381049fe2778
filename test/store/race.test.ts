import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { SnapflowJobStore } from '../../shared/jobs/create-job-store';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../../shared/jobs/open-postgres-node';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';

// Several worker PROCESSES claim and commit the same jobs on one PostgreSQL / one SQLite
// file. Safety: each (job, step) is claimed, run and committed exactly once; every
// commit's guarded update succeeds; the history shows one claim per attempt, by the
// process that then committed it. Also: racing idempotent inserts yield one job per key, and
// racing "insert unless locked" calls one job per lock key (the others get its id back).

interface Summary {
  owner: string;
  inserted: Array<{ key: string; id: string; created: boolean }>;
  locked: Array<{ key: string; outcome: string; id: string }>;
  ran: Array<{ job: string; step: number; attempt: number }>;
  commits: Array<{ job: string; step: number; attempt: number; ok: boolean }>;
  handOver: boolean;
}

const WORKERS = 4;
const JOBS = 150;
const worker = join(__dirname, 'race-worker.ts');
const barrierDir = mkdtempSync(join(tmpdir(), 'snapflow-race-go-'));

function runWorker(envs: Record<string, string>): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], {
      env: { ...process.env, ...envs },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`worker ${envs.RACE_OWNER} exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as Summary);
      } catch (e) {
        reject(new Error(`worker ${envs.RACE_OWNER} printed no summary: ${String(e)} ${err}`));
      }
    });
  });
}

async function race(dialect: 'sqlite' | 'postgres', target: string, open: () => SnapflowJobStore): Promise<void> {
  const store = open();
  await store.migrate();
  const tag = crypto.randomUUID().slice(0, 8);
  const kind = `race-${tag}`;
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) ids.push((await store.insertJob({ id: `r-${tag}-${i}`, kind, params: { i } })).job.id);
  const keys = Array.from({ length: 20 }, (_, i) => `idem-${tag}-${i}`);
  const lockKeys = Array.from({ length: 20 }, (_, i) => `cloud/lock-${tag}-${i}`);

  const go = join(barrierDir, `go-${tag}`);
  const owners = Array.from({ length: WORKERS }, (_, w) => `w${w}-${tag}`);
  const running = owners.map((owner) =>
    runWorker({
      RACE_DIALECT: dialect,
      RACE_TARGET: target,
      RACE_KIND: kind,
      RACE_IDEM_KIND: `idem-${tag}`,
      RACE_IDEM_KEYS: keys.join(','),
      RACE_LOCK_KEYS: lockKeys.join(','),
      RACE_OWNER: owner,
      RACE_GO: go,
    }),
  );
  // release all workers at once, so they really race (see race-worker.ts)
  const deadline = Date.now() + 60_000;
  while (!owners.every((o) => existsSync(`${go}.${o}.ready`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  writeFileSync(go, '');
  const summaries = await Promise.all(running);

  // idempotency: one creator per key, everyone got the creator's job
  for (const key of keys) {
    const rows = summaries.map((s) => s.inserted.find((r) => r.key === key)!);
    expect(rows.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
  }

  // one server lock: one creator per key, every other worker was told that creator's job
  for (const key of lockKeys) {
    const rows = summaries.map((s) => s.locked.find((r) => r.key === key)!);
    expect(rows.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === 'busy')).toHaveLength(WORKERS - 1);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
    expect((await store.listJobs({ lockKey: key })).map((j) => j.id)).toEqual([rows[0]!.id]);
  }

  const ran = new Map<string, string[]>();
  for (const s of summaries) {
    for (const r of s.ran) ran.set(`${r.job}/${r.step}`, [...(ran.get(`${r.job}/${r.step}`) ?? []), s.owner]);
    expect(s.commits.every((c) => c.ok)).toBe(true);
  }
  expect(ran.size).toBe(JOBS * 2);
  for (const owners of ran.values()) expect(owners).toHaveLength(1);
  expect(summaries.filter((s) => s.ran.length > 0).length).toBeGreaterThan(1);
  // both ways of taking the next job were in the race
  expect(summaries.filter((s) => s.handOver && s.commits.length > 0).length).toBeGreaterThan(0);
  expect(summaries.filter((s) => !s.handOver && s.commits.length > 0).length).toBeGreaterThan(0);

  for (const id of ids) {
    const job = await store.getJob(id);
    expect(job?.state).toBe('succeeded');
    const events = await store.listEvents(id);
    expect(events.map((e) => e.type)).toEqual(['submitted', 'claimed', 'step.done', 'claimed', 'step.done']);
    // the process that claimed each attempt is the one that committed it
    expect(events[1]!.message).toBe(events[2]!.message);
    expect(events[3]!.message).toBe(events[4]!.message);
    expect(events[2]!.requestIds).toEqual([`req-${id}-0`]);
  }
  await store.close();
}

describe('job table races between worker processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-race-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(barrierDir, { recursive: true, force: true });
  });

  it('PostgreSQL: no job is held twice, every step runs once', async () => {
    const url = inject('pgUrl');
    await race('postgres', url, () => createJobStore(openPostgresJobDb(url)));
  }, 120_000);

  it('SQLite (one file, WAL): no job is held twice, every step runs once', async () => {
    const file = join(dir, 'race.db');
    await race('sqlite', file, () => createJobStore(openSqliteJobDb(file)));
  }, 120_000);
});
