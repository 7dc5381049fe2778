// A job-table worker PROCESS for the race tests: inserts the shared idempotency keys, then
// claims and commits two-step jobs of RACE_KIND until none are left, and prints one JSON
// summary line. Workers with an odd number hand over like the engine does (commitAndClaim:
// each commit also claims the next job); the others commit, then claim. Env: RACE_DIALECT (sqlite|postgres), RACE_TARGET (file path or URL),
// RACE_KIND, RACE_IDEM_KIND, RACE_IDEM_KEYS and RACE_LOCK_KEYS (comma lists), RACE_OWNER,
// RACE_GO (barrier file).
import { existsSync, writeFileSync } from 'node:fs';
import type { SnapflowJobStore } from '../../shared/jobs/create-job-store';
import { createJobStore } from '../../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../../shared/jobs/open-postgres-node';
import { openSqliteJobDb } from '../../shared/jobs/open-sqlite-node';
import type { Job, JobPatch, NewJobEvent } from '../../shared/jobs/types';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`missing ${k}`);
  return v;
};

/**
 * Process start-up (tsx, opening the store) takes long enough that the first worker could
 * finish every job before the last one starts, and the race would not be a race: each
 * worker announces itself and waits until the parent says go.
 */
async function startBarrier(owner: string): Promise<void> {
  const go = env('RACE_GO');
  writeFileSync(`${go}.${owner}.ready`, '');
  const deadline = Date.now() + 60_000;
  while (!existsSync(go)) {
    if (Date.now() > deadline) throw new Error('start barrier: no go within 60 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function main(): Promise<void> {
  const dialect = env('RACE_DIALECT');
  const target = env('RACE_TARGET');
  const owner = env('RACE_OWNER');
  const kind = env('RACE_KIND');
  const store: SnapflowJobStore = createJobStore(dialect === 'postgres' ? openPostgresJobDb(target, { max: 2 }) : openSqliteJobDb(target));
  await store.migrate();
  await startBarrier(owner);

  const inserted: Array<{ key: string; id: string; created: boolean }> = [];
  const locked: Array<{ key: string; outcome: string; id: string }> = [];
  const lockKeys = env('RACE_LOCK_KEYS').split(',');
  for (const [i, key] of env('RACE_IDEM_KEYS').split(',').entries()) {
    const r = await store.insertJob({ id: `${owner}-${key}`, kind: env('RACE_IDEM_KIND'), params: {}, idempotencyKey: key });
    inserted.push({ key, id: r.job.id, created: r.created });
    // "insert unless locked" for a lock key every worker tries at about the same moment
    const lockKey = lockKeys[i];
    if (lockKey === undefined) continue;
    const l = await store.insertUnlessLocked({ id: `${owner}-${lockKey}`, kind: env('RACE_IDEM_KIND'), params: {}, lockKey });
    locked.push({ key: lockKey, outcome: l.outcome, id: l.outcome === 'busy' ? l.holder.id : l.job.id });
  }

  const ran: Array<{ job: string; step: number; attempt: number }> = [];
  const commits: Array<{ job: string; step: number; attempt: number; ok: boolean }> = [];
  const deadline = Date.now() + 90_000;
  let idle = 0;
  const claimOpts = { owner, leaseMs: 120_000, kinds: [kind] };
  const handOver = Number(/^w(\d+)-/.exec(owner)?.[1] ?? 0) % 2 === 1;
  let held: Job | null = null;
  while (Date.now() < deadline) {
    const job: Job | null = held ?? (await store.claim(claimOpts));
    held = null;
    if (!job) {
      // SKIP LOCKED can come back empty while rows are merely locked: stop only once idle
      // claims coincide with no unfinished job left.
      const left = await store.listJobs({ kind, state: 'queued', limit: 1 });
      if (left.length === 0 && ++idle > 3) break;
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    idle = 0;
    ran.push({ job: job.id, step: job.stepIndex, attempt: job.attempt });
    const last = job.stepIndex >= 1;
    const patch: JobPatch = last ? { state: 'succeeded', result: { by: owner } } : { state: 'queued', stepIndex: 1, step: 'two', context: { one: owner } };
    const event: NewJobEvent = {
      type: 'step.done',
      fromState: 'running',
      toState: null,
      step: job.step,
      attempt: job.attempt,
      message: owner,
      requestIds: [`req-${job.id}-${job.stepIndex}`],
      data: null,
    };
    let ok: boolean;
    if (handOver) ({ committed: ok, next: held } = await store.commitAndClaim(job.id, owner, patch, event, claimOpts));
    else ok = await store.commit(job.id, owner, patch, event);
    commits.push({ job: job.id, step: job.stepIndex, attempt: job.attempt, ok });
  }
  await store.close();
  process.stdout.write(`${JSON.stringify({ owner, handOver, inserted, locked, ran, commits })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
