// Hand-over vs commit-then-claim, on one PostgreSQL connection: what one job costs when a
// worker's commit also claims its next job (store.commitAndClaim, one statement) against a
// commit followed by a claim (two statements). Same process, same server, each round on a
// fresh database, the two alternating. Run: npx tsx bench/hand-over.ts [jobs] [rounds]
// PG CPU is the backend's user+sys time from /proc; node CPU is this process's.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { SnapflowJobStore } from '../shared/jobs/create-job-store';
import { createJobStore } from '../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../shared/jobs/open-postgres-node';
import type { Job, NewJobEvent } from '../shared/jobs/types';
import { startThrowawayPostgres } from './lib/throwaway-postgres';

type Mode = 'commit, then claim' | 'hand-over';
const MODES: Mode[] = ['commit, then claim', 'hand-over'];
const jobs = Number(process.argv[2] ?? 4000);
const rounds = Number(process.argv[3] ?? 3);
const DONE: NewJobEvent = {
  type: 'step.done',
  fromState: 'running',
  toState: 'succeeded',
  step: null,
  attempt: null,
  message: null,
  requestIds: [],
  data: null,
};

function backendCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
}

async function drain(store: SnapflowJobStore, mode: Mode): Promise<void> {
  const next = { owner: 'w', leaseMs: 60_000, kinds: ['k'] };
  let job: Job | null = await store.claim(next);
  while (job) {
    if (mode === 'hand-over') {
      job = (await store.commitAndClaim(job.id, 'w', { state: 'succeeded', result: {} }, DONE, next)).next;
    } else {
      await store.commit(job.id, 'w', { state: 'succeeded', result: {} }, DONE);
      job = await store.claim(next);
    }
  }
}

async function main(): Promise<void> {
  const server = await startThrowawayPostgres({ database: 'bench' });
  const admin = new pg.Pool({ connectionString: server.url, max: 1 });
  const rows: Record<Mode, Array<{ pg: number; node: number; wall: number }>> = { 'commit, then claim': [], 'hand-over': [] };
  let n = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
        const db = `r${n++}`;
        await admin.query(`create database ${db}`);
        const jdb = openPostgresJobDb(server.url.replace(/\/bench(\?|$)/, `/${db}$1`), { max: 1 });
        const store = createJobStore(jdb);
        await store.migrate();
        for (let i = 0; i < jobs + 200; i++) await store.insertJob({ id: `j-${i}`, kind: 'k', params: { i } });
        await admin.query('checkpoint');
        const res = await jdb.pgPool!.query({ name: 'bench_backend_pid', text: 'select pg_backend_pid() as p', values: [] });
        const pid = Number((res.rows[0] as { p: number }).p);
        // warm-up: JIT on this side, caches and prepared statements on the server side
        const warm = { owner: 'w', leaseMs: 60_000, kinds: ['k'] };
        for (let i = 0; i < 200; i++) {
          const job = await store.claim(warm);
          await store.commit(job!.id, 'w', { state: 'succeeded', result: {} }, DONE);
        }
        const pg0 = backendCpuMs(pid);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await drain(store, mode);
        const cpu = process.cpuUsage(cpu0);
        rows[mode].push({
          pg: (backendCpuMs(pid) - pg0) / jobs,
          node: (cpu.user + cpu.system) / 1000 / jobs,
          wall: (performance.now() - t0) / jobs,
        });
        await store.close();
      }
    }
  } finally {
    await admin.end();
    await server.stop();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  console.log(`\nper job, ${jobs} jobs per run, median of ${rounds} rounds (fresh database each), one connection`);
  console.log('mode                  PG CPU     node CPU   wall');
  for (const mode of MODES) {
    const r = rows[mode];
    console.log(
      `${mode.padEnd(20)} ${med(r.map((x) => x.pg)).toFixed(3)} ms  ${med(r.map((x) => x.node)).toFixed(3)} ms  ${med(r.map((x) => x.wall)).toFixed(3)} ms`,
    );
  }
  const a = rows['commit, then claim'];
  const b = rows['hand-over'];
  console.log(
    `hand-over / commit-then-claim: PG CPU ${(med(b.map((x) => x.pg)) / med(a.map((x) => x.pg))).toFixed(2)}x, wall ` +
      `${(med(b.map((x) => x.wall)) / med(a.map((x) => x.wall))).toFixed(2)}x`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
