// Printing for bench/nightly.ts: one block per target (figures, checks, profile) and a
// summary table of every target of the run.
import type { Bound } from './nightly-bound';
import type { Check } from './nightly-checks';
import type { Distribution, Profile } from './nightly-profile';

export const RATIO_TARGET = 1.1;

export interface TargetResult {
  name: string;
  describe: string;
  wallMs: number;
  bound: Bound;
  jobs: number;
  calls: Record<string, number>;
  peak: { jobs: number; events: number; samples: number };
  checks: Check[];
  profile: Profile;
  cpu: Array<{ name: string; seconds: number }>;
  notes: string[];
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const dist = (d: Distribution) => `mean ${s(d.mean)}, p50 ${s(d.p50)}, p95 ${s(d.p95)}, max ${s(d.max)}`;
export const ratioOf = (r: TargetResult) => r.wallMs / r.bound.valueMs;
const totalCalls = (r: TargetResult) => Object.values(r.calls).reduce((a, b) => a + b, 0);

export function targetBlock(r: TargetResult, scale: number): string[] {
  const p = r.profile;
  const ratio = ratioOf(r);
  const routes = Object.entries(r.calls).sort((a, b) => b[1] - a[1]);
  const perJob = (n: number) => (n / r.jobs).toFixed(2);
  const idealJob = r.bound.perJobMs * scale;
  const sl = p.slowest;
  return [
    `== ${r.name}: ${r.describe}`,
    `  wall (slot -> last job end)  ${s(r.wallMs)}   bound ${s(r.bound.valueMs)}   ratio ${ratio.toFixed(3)}x  ` +
      `(target <= ${RATIO_TARGET}x: ${ratio <= RATIO_TARGET ? 'ok' : 'MISSED'})`,
    `  throughput                   ${(r.jobs / (r.wallMs / 1000)).toFixed(2)} jobs/s (${r.jobs} jobs)`,
    `  OpenStack calls              ${totalCalls(r)} = ${perJob(totalCalls(r))} per job: ${routes.map(([k, v]) => `${k} ${perJob(v)}`).join(', ')}`,
    `  job table peak               ${r.peak.jobs} jobs, ${r.peak.events} job_events (${r.peak.samples} samples)`,
    `  CPU (slot -> end)            ${r.cpu.map((c) => `${c.name} ${c.seconds.toFixed(1)} s`).join(', ')}`,
    '  checks:',
    ...r.checks.map((c) => `    ${c.ok ? 'ok    ' : 'FAILED'} ${c.name}: ${c.detail}`),
    '  profile:',
    `    submitted          ${s(p.submitFirstMs)} .. ${s(p.submitLastMs)} after the slot; first start of the last project ${s(p.firstStartMaxMs)}`,
    `    job run time       ${dist(p.run)}  (ideal ${s(idealJob)})`,
    `    steps (mean)       ${p.steps.map((x) => `${x.step} ${s(x.meanMs)}`).join(', ')}`,
    `    active noticed     ${dist(p.detect)} after Glance said active`,
    `    next step claimed  ${dist(p.chain)} after the previous step's commit`,
    `    wait resumed       ${dist(p.wake)} after it was due`,
    `    slot idle          ${dist(p.gap)} from a job's end to the next start in its project; ${(100 * p.gapQuick).toFixed(0)}% within 50 ms`,
    `    per job            ${p.claimsPerJob.toFixed(2)} claims, ${p.waitsPerJob.toFixed(2)} waits; retries ${JSON.stringify(p.retries)}; lease expiries ` +
      `${p.leaseExpiries}`,
    `    claims per process ${Object.values(p.owners).join(' / ')}`,
    `    slowest project    ${sl.cloud}: ${s(sl.wallMs)} = first start ${s(sl.firstStartMs)} + run time per slot ${s(sl.runSumPerSlotMs)}` +
      ` + idle per slot ${s(sl.gapSumPerSlotMs)} + uneven slots ${s(sl.restMs)}`,
    ...r.notes.map((n) => `  note: ${n}`),
  ];
}

export function summaryTable(results: readonly TargetResult[]): string[] {
  const row = (c: string[]) =>
    `  ${c[0]!.padEnd(18)}${c
      .slice(1)
      .map((x) => x.padStart(11))
      .join('')}`;
  return [
    row(['target', 'wall', 'bound', 'ratio', 'jobs/s', 'calls/job', 'peak jobs', 'peak events', 'checks']),
    ...results.map((r) =>
      row([
        r.name,
        s(r.wallMs),
        s(r.bound.valueMs),
        `${ratioOf(r).toFixed(3)}x`,
        (r.jobs / (r.wallMs / 1000)).toFixed(2),
        (totalCalls(r) / r.jobs).toFixed(2),
        String(r.peak.jobs),
        String(r.peak.events),
        r.checks.every((c) => c.ok) ? 'ok' : 'FAILED',
      ]),
    ),
  ];
}
