// Chaining latency of the step engine: how long after one step's commit the next step
// starts, with the in-process dispatch (setImmediate) and the SQLite job table.
//   npx tsx bench/chaining.ts [jobs=200]
// A 10-step no-op workflow; jobs run one at a time so the figure is latency, not queueing.
// Baseline: the same 10 no-op functions awaited directly in this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineStep, defineWorkflow } from '../shared/engine/define';
import { createEngine } from '../shared/engine/engine';
import type { EngineEvent } from '../shared/engine/engine-event';
import { done } from '../shared/engine/results';
import { createJobStore } from '../shared/jobs/create-job-store';
import { openSqliteJobDb } from '../shared/jobs/open-sqlite-node';
import type { JobStore } from '../shared/jobs/types';

const STEPS = 10;
const JOBS = Number(process.argv[2] ?? 200);

function stats(xs: number[]): { median: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] ?? NaN;
  return { median: at(0.5), p95: at(0.95) };
}

const fmt = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function measureEngine(store: JobStore, run: string): Promise<{ gaps: number[]; perStep: number[] }> {
  let nextId = '';
  const startedAt = new Map<string, number[]>();
  const committedAt = new Map<string, number[]>();
  const finished = new Map<string, () => void>();
  const steps = Array.from({ length: STEPS }, (_, i) =>
    defineStep({
      name: `noop${i}`,
      retry: { baseMs: 10, maxMs: 100, factor: 2 },
      timeout: 5_000,
      run: (ctx) => {
        startedAt.get(ctx.job.id)!.push(performance.now());
        return done();
      },
    }),
  );
  const wf = defineWorkflow({ kind: 'noop10', params: z.object({}), steps });
  const engine = createEngine({
    store,
    workflows: [wf],
    owner: 'bench',
    leaseMs: 30_000,
    newId: () => nextId,
    onEvent: (e: EngineEvent) => {
      committedAt.get(e.jobId)?.push(performance.now());
      if (e.patch.state === 'succeeded') finished.get(e.jobId)?.();
    },
  });
  const gaps: number[] = [];
  const perStep: number[] = [];
  for (let n = 0; n < JOBS; n++) {
    const id = `${run}-${n}`;
    nextId = id;
    startedAt.set(id, []);
    committedAt.set(id, []);
    const t0 = performance.now();
    const doneP = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`job ${id} did not finish in 30 s`)), 30_000);
      finished.set(id, () => {
        clearTimeout(t);
        resolve();
      });
    });
    await engine.submit('noop10', {});
    await doneP;
    const total = performance.now() - t0;
    const s = startedAt.get(id)!;
    const c = committedAt.get(id)!;
    for (let i = 0; i + 1 < STEPS; i++) gaps.push(s[i + 1]! - c[i]!);
    perStep.push(total / STEPS);
  }
  await engine.close();
  return { gaps, perStep };
}

async function measureBaseline(): Promise<{ gaps: number[]; perStep: number[] }> {
  const fns = Array.from({ length: STEPS }, () => async () => done());
  const gaps: number[] = [];
  const perStep: number[] = [];
  for (let n = 0; n < JOBS; n++) {
    const t0 = performance.now();
    let last = 0;
    for (let i = 0; i < STEPS; i++) {
      const start = performance.now();
      if (i > 0) gaps.push(start - last);
      await fns[i]!();
      last = performance.now();
    }
    perStep.push((performance.now() - t0) / STEPS);
  }
  return { gaps, perStep };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-bench-'));
  try {
    const store = createJobStore(openSqliteJobDb(join(dir, 'jobs.db')));
    await store.migrate();
    await measureEngine(store, 'warmup'); // warm-up (JIT, SQLite page cache); discarded
    const { gaps, perStep } = await measureEngine(store, 'run');
    await store.close();
    const base = await measureBaseline();
    const g = stats(gaps);
    const p = stats(perStep);
    const b = stats(base.gaps);
    const bp = stats(base.perStep);
    console.log(`chaining: ${JOBS} jobs x ${STEPS} no-op steps, SQLite job table (WAL, file in ${tmpdir()}), dispatch=setImmediate`);
    console.log(`  commit -> next step start : median ${fmt(g.median)}  p95 ${fmt(g.p95)}  (target <= 5 ms median)`);
    console.log(`  whole step (claim+run+commit+dispatch), per step: median ${fmt(p.median)}  p95 ${fmt(p.p95)}`);
    console.log(
      `  baseline (direct await of the same no-op functions): between steps median ${fmt(b.median)} p95 ${fmt(b.p95)}; per step median ${fmt(bp.median)} p95 ` +
        `${fmt(bp.p95)}`,
    );
    console.log(`  added per step vs baseline (median): ${fmt(p.median - bp.median)}`);
    if (g.median > 5) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
