// Crash injection: a real child process runs a multi-step workflow against the OpenStack
// simulator and is SIGKILLed at every step boundary and in the middle of steps (right after
// the side effect, before the commit). This process then finishes the job on the same
// SQLite file. Every side effect must have happened exactly once and the job must succeed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../shared/engine/engine';
import type { JobStore } from '../../shared/jobs/types';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { CREATING_STEPS, crashWorkflow, GlanceLite, KILL_POINTS, type SimCloud } from './crash-workflow';
import { openSqliteStore, quietLog } from './harness';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Run the child until it prints `M <killAt>`, then SIGKILL it. */
function runChildUntil(db: string, jobId: string, killAt: string, cloud: SimCloud): Promise<{ killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, jobId, killAt], {
      cwd: ROOT,
      env: { ...process.env, SIM_CLOUD: JSON.stringify(cloud) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child never reached ${killAt}: ${out}`));
      // generous: the cases' children start at once (tsx compiles each), on a machine maybe busy
    }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!killed && out.split('\n').includes(`M ${killAt}`)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (killed && signal === 'SIGKILL') resolve({ killed, out });
      else reject(new Error(`child exited ${code ?? signal} before ${killAt}: ${out}`));
    });
  });
}

describe('crash injection (real child process, SIGKILL, SQLite, simulator)', () => {
  let sim: SimHandle;
  let dir: string;
  let store: JobStore;
  let cloud: SimCloud;
  let cases = 0;

  beforeAll(async () => {
    sim = await startSimulator({ withCinder: false });
    cloud = { url: sim.url, auth: sim.cloud.auth };
    dir = mkdtempSync(join(tmpdir(), 'snapflow-crash-'));
    store = await openSqliteStore(join(dir, 'jobs.db'));
  });
  afterAll(async () => {
    // All cases together: exactly one POST per creating step per job, across every kill.
    if (sim) expect(sim.counters.get('POST /v2/images')).toBe(cases * CREATING_STEPS.length);
    await store?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Concurrent: each case has its own job; side effects are counted per job tag.
  it.concurrent.each(KILL_POINTS)(
    'killed at %s: another process finishes, side effects exactly once',
    async (killAt) => {
      const jobId = crypto.randomUUID();
      cases++;
      await runChildUntil(join(dir, 'jobs.db'), jobId, killAt, cloud);

      const glance = new GlanceLite(cloud);
      // no hand-over: each survivor must finish its own case's job only (see crash-child.ts)
      const engine = createEngine({
        store,
        workflows: [crashWorkflow(glance, async () => {})],
        owner: 'survivor',
        leaseMs: 5_000,
        log: quietLog,
        handOver: false,
      });
      try {
        // The dead child's lease (400 ms) must expire before the survivor can claim the job.
        const deadline = Date.now() + 30_000;
        let job = await store.getJob(jobId);
        while (job && !['succeeded', 'failed', 'cancelled'].includes(job.state) && Date.now() < deadline) {
          await engine.runOnce(jobId);
          await engine.drain();
          job = await store.getJob(jobId);
          if (job?.state === 'running') await new Promise((r) => setTimeout(r, 25));
        }
        expect(job).toMatchObject({ state: 'succeeded' });
        for (const step of CREATING_STEPS) {
          const id = await glance.find(jobId, step, new AbortController().signal, () => {});
          expect(id, `${step} image`).toBeDefined();
          expect(job!.result![step]).toBe(id);
        }
        expect(await glance.countTagged(jobId)).toBe(CREATING_STEPS.length);
        const events = await store.listEvents(jobId);
        const committed = events.filter((e) => e.type === 'step.done').map((e) => e.step);
        expect(committed).toEqual([...CREATING_STEPS, 'finish']);
        if (killAt !== 'submitted' && !killAt.startsWith('commit:')) expect(events.some((e) => e.type === 'lease.expired')).toBe(true);
      } finally {
        await engine.close();
      }
    },
    120_000,
  );
});
