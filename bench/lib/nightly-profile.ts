// Where a nightly run's wall time goes, from the job table (and the simulator's image
// timestamps): how late the first wave started, how long each snapshot held its slot and in
// which step, how late the cloud's "active" was noticed, and how long a freed slot stayed
// empty before the next job of the project took it (hand-over or safety tick).
import { SNAPFLOW_TAGS } from '../../functions/workflows/tags';
import type { EventRecord, JobRecord } from './nightly-table';
import type { NightlyWorld } from './nightly-world';

export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface Profile {
  /** first and last job row created, ms after the slot */
  submitFirstMs: number;
  submitLastMs: number;
  /** per project: first start after the slot (the worst project's) */
  firstStartMaxMs: number;
  run: Distribution;
  /** mean time per step (from the previous step's end to this one's), ms */
  steps: Array<{ step: string; meanMs: number }>;
  /** wait-image-active done minus the moment Glance said active */
  detect: Distribution;
  /** a step's commit to the claim of the job's next step (dispatch + claim) */
  chain: Distribution;
  /** a wait's due time to the claim that resumed the job (wake-up timer, hand-over or tick) */
  wake: Distribution;
  /** freed slot to the next start in the same project */
  gap: Distribution;
  /** share of freed slots taken again within 50 ms (by the commit's own hand-over, in practice) */
  gapQuick: number;
  claimsPerJob: number;
  waitsPerJob: number;
  retries: Record<string, number>;
  leaseExpiries: number;
  /** claims per lease owner (service process) */
  owners: Record<string, number>;
  slowest: { cloud: string; wallMs: number; firstStartMs: number; runSumPerSlotMs: number; gapSumPerSlotMs: number; restMs: number };
}

export function distribution(xs: readonly number[]): Distribution {
  if (xs.length === 0) return { n: 0, mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, max: Number.NaN };
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1]! };
}

/** Each start beyond the first `limit` takes the slot of the earliest finish not yet reused. */
function slotGaps(starts: number[], finishes: number[], limit: number): number[] {
  const st = [...starts].sort((a, b) => a - b).slice(limit);
  const fi = [...finishes].sort((a, b) => a - b);
  return st.map((s, i) => s - (fi[i] ?? s));
}

export function profileRun(world: NightlyWorld, slotMs: number, limit: number, jobs: readonly JobRecord[], events: readonly EventRecord[]): Profile {
  const byJob = new Map<string, EventRecord[]>();
  for (const e of events) {
    const list = byJob.get(e.jobId);
    if (list) list.push(e);
    else byJob.set(e.jobId, [e]);
  }
  const activeAt = new Map<string, number>();
  for (const img of world.sim.state.images.values()) {
    const job = img.props[SNAPFLOW_TAGS.job];
    if (typeof job === 'string' && img.status === 'active' && !world.earlier.has(img.id)) activeAt.set(job, img.updatedAt);
  }

  const stepSum = new Map<string, { total: number; n: number }>();
  const detect: number[] = [];
  const chain: number[] = [];
  const wake: number[] = [];
  const retries: Record<string, number> = {};
  const owners: Record<string, number> = {};
  let claims = 0;
  let waits = 0;
  let leaseExpiries = 0;
  for (const j of jobs) {
    let mark = j.startedAt ?? j.createdAt;
    let prev: EventRecord | undefined;
    for (const e of byJob.get(j.id) ?? []) {
      const before = prev;
      prev = e;
      if (e.type === 'claimed') {
        claims++;
        if (before?.type === 'step.done' && before.toState === 'queued') chain.push(e.at - before.at);
        if ((before?.type === 'step.wait' || before?.type === 'step.retry') && before.runAfter !== null) wake.push(e.at - before.runAfter);
        const owner = e.message ?? '?';
        owners[owner] = (owners[owner] ?? 0) + 1;
      } else if (e.type === 'step.wait') waits++;
      else if (e.type === 'lease.expired') leaseExpiries++;
      else if (e.type === 'step.retry') retries[e.step ?? '?'] = (retries[e.step ?? '?'] ?? 0) + 1;
      else if (e.type === 'step.done' && e.step) {
        const acc = stepSum.get(e.step) ?? { total: 0, n: 0 };
        acc.total += e.at - mark;
        acc.n++;
        stepSum.set(e.step, acc);
        mark = e.at;
        const active = activeAt.get(j.id);
        if (e.step === 'wait-image-active' && active !== undefined) detect.push(e.at - active);
      }
    }
  }

  const byCloud = new Map<string, JobRecord[]>();
  for (const j of jobs) byCloud.set(j.cloud, [...(byCloud.get(j.cloud) ?? []), j]);
  const gaps: number[] = [];
  let firstStartMaxMs = 0;
  let slowest: Profile['slowest'] = { cloud: '', wallMs: -1, firstStartMs: 0, runSumPerSlotMs: 0, gapSumPerSlotMs: 0, restMs: 0 };
  for (const [cloud, list] of byCloud) {
    const starts = list.flatMap((j) => (j.startedAt !== null ? [j.startedAt] : []));
    const finishes = list.flatMap((j) => (j.finishedAt !== null ? [j.finishedAt] : []));
    const g = slotGaps(starts, finishes, limit);
    gaps.push(...g);
    const firstStartMs = Math.min(...starts) - slotMs;
    firstStartMaxMs = Math.max(firstStartMaxMs, firstStartMs);
    const wallMs = Math.max(...finishes) - slotMs;
    if (wallMs > slowest.wallMs) {
      const runSumPerSlotMs = list.reduce((a, j) => a + ((j.finishedAt ?? 0) - (j.startedAt ?? 0)), 0) / limit;
      const gapSumPerSlotMs = g.reduce((a, b) => a + b, 0) / limit;
      slowest = { cloud, wallMs, firstStartMs, runSumPerSlotMs, gapSumPerSlotMs, restMs: wallMs - firstStartMs - runSumPerSlotMs - gapSumPerSlotMs };
    }
  }
  const created = jobs.map((j) => j.createdAt);
  return {
    submitFirstMs: Math.min(...created) - slotMs,
    submitLastMs: Math.max(...created) - slotMs,
    firstStartMaxMs,
    run: distribution(jobs.flatMap((j) => (j.startedAt !== null && j.finishedAt !== null ? [j.finishedAt - j.startedAt] : []))),
    steps: [...stepSum].map(([step, a]) => ({ step, meanMs: a.total / a.n })),
    detect: distribution(detect),
    chain: distribution(chain),
    wake: distribution(wake),
    gap: distribution(gaps),
    gapQuick: gaps.filter((g) => g <= 50).length / Math.max(1, gaps.length),
    claimsPerJob: claims / jobs.length,
    waitsPerJob: waits / jobs.length,
    retries,
    leaseExpiries,
    owners,
    slowest,
  };
}
