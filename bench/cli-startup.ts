// Start-up of the `snapflow` binary: wall time of `snapflow --help` (the esbuild bundle
// that `npm ci` builds, run by plain node) against `node -e 0` in the same run, so a busy
// machine moves both legs alike; the runs alternate between the legs for the same reason.
// With GNU time at /usr/bin/time, also the CPU time (user + system) of each run, which a
// shared machine's load inflates far less than the wall time.
//   npx tsx bench/cli-startup.ts [runs=30]
// Also `snapflow --version` and, for scale, the same --help from the TypeScript source under
// tsx (what bundling saves), with fewer runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = Number(process.argv[2] ?? 30);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Leg {
  name: string;
  args: string[];
  runs: number;
  times: number[];
  cpu: number[];
}

const CPU_MARK = 'snapflow-bench-cpu';

/** Wall ms of one run, and its CPU ms (user + system) when GNU time is there. */
function once(args: string[]): { wall: number; cpu: number | null } {
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', `${CPU_MARK} %U %S`, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: tmpdir() } });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(r.stderr.toString());
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : null };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-bench-cli-'));
  try {
    // the same build script `npm ci` runs (prepare), into a directory of our own
    const { buildBins, ENTRIES } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build-bins.mjs')).href)) as {
      buildBins(o: { outdir: string; entries: { name: string; entry: string }[] }): Promise<void>;
      ENTRIES: { name: string; entry: string }[];
    };
    await buildBins({ outdir: dir, entries: ENTRIES.filter((e) => e.name === 'snapflow') });
    const bin = join(dir, 'snapflow.mjs');
    const legs: Leg[] = [
      { name: 'node -e 0 (baseline)', args: ['-e', '0'], runs: RUNS, times: [], cpu: [] },
      { name: 'snapflow --help', args: [bin, '--help'], runs: RUNS, times: [], cpu: [] },
      { name: 'snapflow --version', args: [bin, '--version'], runs: RUNS, times: [], cpu: [] },
      {
        name: 'tsx functions/cli/main.ts --help',
        args: ['--import', TSX, join(ROOT, 'functions', 'cli', 'main.ts'), '--help'],
        runs: Math.max(3, Math.round(RUNS / 5)),
        times: [],
        cpu: [],
      },
    ];
    for (const leg of legs) once(leg.args); // warm the file cache
    for (let i = 0; i < RUNS; i++) {
      for (const leg of legs) {
        if (i >= leg.runs) continue;
        const r = once(leg.args);
        leg.times.push(r.wall);
        if (r.cpu !== null) leg.cpu.push(r.cpu);
      }
    }
    const base = median(legs[0]!.times);
    const baseCpu = legs[0]!.cpu.length ? median(legs[0]!.cpu) : null;
    console.log(`snapflow start-up, median of ${RUNS} alternating runs (node ${process.version})`);
    for (const leg of legs) {
      const m = median(leg.times);
      const cpu = baseCpu !== null && leg.cpu.length ? median(leg.cpu) : null;
      const cpuText = cpu !== null && baseCpu !== null ? `; CPU ${cpu.toFixed(0)} ms, ${(cpu / baseCpu).toFixed(2)}x` : '';
      console.log(
        `  ${leg.name.padEnd(34)} wall ${m.toFixed(0).padStart(5)} ms, ${(m / base).toFixed(2)}x baseline (+${(m - base).toFixed(0)} ms)${cpuText}  ` +
          `[${leg.times.length} runs]`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
