// `npx tsx bench/nightly.ts [--scale 0.2] [--targets node-sqlite,node-postgres-2,worker-d1] [--stop]`
// (about 8 minutes at the default scale; BENCH_LOGS=<dir> keeps the service logs,
// BENCH_CPU_PROF=<dir> writes a V8 CPU profile per service)
// A nightly policy over 1,000 servers (10 projects × 100, one clouds.yaml entry and one
// schedule each, retention keep 7, every server already holding 7 earlier nights) on the
// in-repo simulator with full-scale latencies createImage -> active 30 s, stop/start 2-5 s,
// API 50-150 ms, all multiplied by --scale (the services get SNAPFLOW_TIME_SCALE = scale so
// their poll and retry delays shrink alike); limits.snapshotsPerProject 5.
// For each target the real `npm start` is spawned (node-sqlite: 1 process on SQLite;
// node-postgres-2: 2 processes sharing a throwaway PostgreSQL), its schedules fire through
// node-cron at the next minute boundary after start-up, and the bench prints the wall time
// from that slot to the last job's end as a ratio to the bound the limits set
// (ceil(servers/limit) waves per project, projects in parallel), jobs/s, OpenStack calls
// per job (sim.counters, from just before the slot), the job table's peak size (sampled),
// correctness checks (one new snapshot and one job per server, none failed, retention) and
// a profile of where the time went. What does not scale (a claim, a commit, event-loop and
// scheduler delays on a shared machine) weighs more the smaller the scale: the ratio at a
// small scale overstates the one a real night would see. Not a test: it prints; it exits 1
// only when a correctness check fails or a run does not finish.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LatencySpec } from '../shared/sim/state';
import { idealBound } from './lib/nightly-bound';
import { checkRun } from './lib/nightly-checks';
import { writeServiceFiles } from './lib/nightly-files';
import { profileRun } from './lib/nightly-profile';
import { RATIO_TARGET, ratioOf, summaryTable, type TargetResult, targetBlock } from './lib/nightly-report';
import { sampleUntilDone } from './lib/nightly-sampler';
import type { NightlyTarget } from './lib/nightly-target';
import { NIGHTLY_TARGETS } from './lib/nightly-targets';
import { buildWorld, type NightlyShape } from './lib/nightly-world';
import { loadAverage, machineCpu } from './lib/proc-cpu';

const { values: a } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.2' },
    targets: { type: 'string', default: NIGHTLY_TARGETS.map((t) => t.name).join(',') },
    projects: { type: 'string', default: '10' },
    servers: { type: 'string', default: '100' },
    limit: { type: 'string', default: '5' },
    keep: { type: 'string', default: '7' },
    stop: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    'snapshot-ms': { type: 'string', default: '30000' },
    'action-ms': { type: 'string', default: '2000-5000' },
    'api-ms': { type: 'string', default: '50-150' },
    'sample-ms': { type: 'string', default: '250' },
  },
});

function spec(v: string, name: string): LatencySpec {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v);
  if (!m) throw new Error(`--${name}: expected N or MIN-MAX (milliseconds), got ${JSON.stringify(v)}`);
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}
function int(v: string, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

const scale = Number(a.scale);
if (!(scale > 0 && scale <= 1)) throw new Error('--scale: expected a number in (0, 1]');
const shape: NightlyShape = {
  projects: int(a.projects, 'projects', 1),
  serversPerProject: int(a.servers, 'servers', 1),
  limit: int(a.limit, 'limit', 1),
  keep: int(a.keep, 'keep', 1),
  stop: a.stop,
  scale,
  seed: int(a.seed, 'seed', 0),
  latency: {
    snapshot: spec(a['snapshot-ms'], 'snapshot-ms'),
    stop: spec(a['action-ms'], 'action-ms'),
    start: spec(a['action-ms'], 'action-ms'),
    api: spec(a['api-ms'], 'api-ms'),
  },
};
const sampleMs = int(a['sample-ms'], 'sample-ms', 10);
const targets = a.targets.split(',').map((name) => {
  const t = NIGHTLY_TARGETS.find((x) => x.name === name.trim());
  if (!t) throw new Error(`--targets: unknown target ${JSON.stringify(name)} (known: ${NIGHTLY_TARGETS.map((x) => x.name).join(', ')})`);
  return t;
});

const MINUTE = 60_000;

async function schedulesArmed(url: string, token: string, slot: Date): Promise<string | null> {
  const res = await fetch(`${url}/v1/schedules`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { schedules?: Array<{ name: string; enabled: boolean; nextRunAt: string | null }> };
  const mine = (body.schedules ?? []).filter((x) => x.name.startsWith('nightly-p'));
  if (mine.length !== shape.projects) return `${mine.length} nightly schedules loaded, expected ${shape.projects}`;
  const off = mine.find((x) => !x.enabled || x.nextRunAt !== slot.toISOString());
  return off ? `schedule ${off.name}: next run ${off.nextRunAt}, expected ${slot.toISOString()}` : null;
}

async function runTarget(target: NightlyTarget): Promise<TargetResult> {
  const bound = idealBound(shape);
  const world = await buildWorld(shape);
  const dir = join(world.dir, target.name);
  mkdirSync(dir, { recursive: true });
  // the slot: the first minute boundary the services are surely up for
  const slot = new Date(Math.ceil((Date.now() + target.startupMs) / MINUTE) * MINUTE);
  const files = writeServiceFiles(dir, world, shape, slot);
  const notes: string[] = [];
  const running = await target.start({ world, shape, dir, ...files });
  try {
    if (Date.now() >= slot.getTime()) notes.push('the services came up after the slot: it fired at start-up (fireMissed), not from node-cron');
    else {
      const problem = await schedulesArmed(running.services[0]!.url, files.token, slot);
      if (problem) throw new Error(`${target.name}: ${problem}`);
    }
    const expected = world.servers.size;
    console.log(
      `-- ${target.name}: ${running.services.length} service(s) up, slot ${slot.toISOString()} in ${((slot.getTime() - Date.now()) / 1000).toFixed(1)} s`,
    );
    // OpenStack calls of the nightly only: the start-up health check's token requests are before this
    const resetAt = slot.getTime() - 1_000;
    if (Date.now() < resetAt) await new Promise((r) => setTimeout(r, resetAt - Date.now()));
    world.sim.counters.reset();
    const cpu0 = running.cpuSeconds();
    const benchCpu0 = process.cpuUsage();
    const box0 = machineCpu();
    let shown = 0;
    const sampled = await sampleUntilDone(running.table, {
      expected,
      everyMs: sampleMs * Math.min(1, scale * 10),
      deadline: slot.getTime() + 4 * bound.valueMs + 2 * MINUTE,
      onSample: (c, now) => {
        if (now - shown < 10_000) return;
        shown = now;
        console.log(`   ${((now - slot.getTime()) / 1000).toFixed(0).padStart(5)} s: ${c.jobs} jobs, ${c.unfinished} unfinished, ${c.events} events`);
      },
    });
    const benchCpu = process.cpuUsage(benchCpu0);
    const box1 = machineCpu();
    const cpu = [
      ...Object.entries(running.cpuSeconds()).map(([name, s]) => ({ name, seconds: s - (cpu0[name] ?? 0) })),
      { name: 'bench+simulator', seconds: (benchCpu.user + benchCpu.system) / 1e6 },
    ];
    const ours = cpu.reduce((a, c) => a + c.seconds, 0);
    const boxBusy = box1.busy - box0.busy;
    const cores = availableParallelism();
    notes.push(
      `machine (${cores} cores) busy ${((100 * boxBusy) / (box1.total - box0.total)).toFixed(0)}% over the run: ` +
        `${ours.toFixed(0)} CPU s this benchmark, ${Math.max(0, boxBusy - ours).toFixed(0)} CPU s other work; load average at the end ` +
        `${loadAverage().join(' ')}`,
    );
    const calls = world.sim.counters.all();
    const jobs = await running.table.jobs();
    const events = await running.table.events();
    if (!sampled.done) notes.push(`NOT FINISHED by the deadline: ${sampled.last.unfinished} unfinished of ${sampled.last.jobs} jobs`);
    const finished = jobs.flatMap((j) => (j.finishedAt !== null ? [j.finishedAt] : []));
    return {
      name: target.name,
      describe: target.describe,
      wallMs: Math.max(...finished) - slot.getTime(),
      bound,
      jobs: jobs.length,
      calls,
      peak: { jobs: sampled.peakJobs, events: sampled.peakEvents, samples: sampled.samples },
      checks: [...checkRun(world, shape, jobs), { name: 'finished before the deadline', ok: sampled.done, detail: `${sampled.last.unfinished} unfinished` }],
      profile: profileRun(world, slot.getTime(), shape.limit, jobs, events),
      cpu,
      notes,
    };
  } finally {
    await running.stop();
    // BENCH_LOGS=<dir>: keep each service's log (the run's directory is removed)
    const keep = process.env.BENCH_LOGS;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const svc of running.services) if (existsSync(svc.logFile)) copyFileSync(svc.logFile, join(keep, `${target.name}-${svc.name}.log`));
    }
    await world.close();
  }
}

async function main(): Promise<void> {
  const bound = idealBound(shape);
  const servers = shape.projects * shape.serversPerProject;
  console.log(
    `nightly: ${servers} servers in ${shape.projects} projects, limit ${shape.limit} snapshots per project, keep ${shape.keep}` +
      `${shape.stop ? ', stop/start around each snapshot' : ''}; scale ${scale} (every latency and step delay × ${scale})`,
  );
  console.log(
    `latencies at full scale: image active ${JSON.stringify(shape.latency.snapshot)} ms, stop/start ${JSON.stringify(shape.latency.stop)} ms` +
      `${shape.stop ? '' : ' (not used: the policy does not stop servers)'}, API ${JSON.stringify(shape.latency.api)} ms; seed ${shape.seed}`,
  );
  console.log(`bound: ${bound.formula}`);
  const results: TargetResult[] = [];
  for (const t of targets) {
    const r = await runTarget(t);
    results.push(r);
    console.log(targetBlock(r, scale).join('\n'));
  }
  console.log(`\n== summary (scale ${scale}; target <= ${RATIO_TARGET}x the bound)`);
  console.log(summaryTable(results).join('\n'));
  const broken = results.filter((r) => r.checks.some((c) => !c.ok));
  const missed = results.filter((r) => ratioOf(r) > RATIO_TARGET).map((r) => r.name);
  if (missed.length) console.log(`ratio target missed by: ${missed.join(', ')} (see the profile above)`);
  if (broken.length) {
    console.log(`correctness checks FAILED for: ${broken.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
