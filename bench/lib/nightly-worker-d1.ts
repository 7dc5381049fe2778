// Target "worker-d1": the Workers entry's handlers under plain `wrangler dev --local`
// (workerd, a local D1 job table, local Queues as the dispatcher: every step a message,
// every wait a delayed one). A Worker reads no files, so the run's schedules are compiled
// into a small entry module next to a copy of the repository's wrangler.toml (its queue
// settings kept, `main`, the build check and the crons replaced); configuration, clouds and
// the time scale go in as bindings, as `wrangler secret put` would. `wrangler dev` fires no
// Cron Trigger by itself: this target plays the platform's part, firing the schedules' cron
// at the slot and the every-minute safety tick at each minute boundary, each with its
// scheduled time. The job table is the D1 database's SQLite file, read read-only.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { nextRun } from '../../shared/schedule/slots';
import { sqliteTableReader } from './nightly-table';
import type { NightlyTarget } from './nightly-target';
import { treeCpu } from './proc-cpu';
import { startWranglerDev, type WranglerDev } from './wrangler-dev';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAFETY_TICK = '* * * * *';
const MINUTE = 60_000;

interface BenchSchedule {
  cron: string;
  timezone: string;
}

/** The repository's wrangler.toml with this run's entry and crons, and without the deploy check. */
function benchWranglerToml(entry: string, crons: string[]): string {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const out = toml
    .replace(/^main = .*$/m, `main = ${JSON.stringify(entry)}`)
    .replace(/^\[build\]\n(?:[a-z_]+ = .*\n)+/m, '')
    .replace(/^crons = \[[^\]]*\]/m, `crons = ${JSON.stringify(crons)}`);
  if (!out.includes(entry) || out.includes('[build]') || !out.includes(crons[0]!))
    throw new Error('wrangler.toml changed shape: update bench/lib/nightly-worker-d1.ts');
  return out;
}

function entryModule(): string {
  const handlers = join(ROOT, 'functions', 'worker-handlers.ts');
  return [
    "import { waitUntil } from 'cloudflare:workers';",
    `import { createWorker, workerExports } from ${JSON.stringify(handlers)};`,
    "import schedules from './schedules.json';",
    'export default workerExports(createWorker({ waitUntil, schedules }));',
    '',
  ].join('\n');
}

/** The local D1 database's file under wrangler's state directory (it exists once the Worker migrated it). */
function d1File(dev: WranglerDev): string {
  const dir = join(dev.stateDir, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  if (files.length !== 1) throw new Error(`expected one D1 database file in ${dir}, found ${files.join(', ') || 'none'}`);
  return join(dir, files[0]!);
}

/** Fires the Cron Triggers the platform would: the safety tick every minute, the schedules' cron at their slot. */
function cronDriver(dev: WranglerDev, schedules: BenchSchedule[]): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const fire = async (at: number) => {
    const due = [...new Set(schedules.filter((s) => nextRun(s, new Date(at - 1)).getTime() === at).map((s) => s.cron))];
    const results = await Promise.allSettled([SAFETY_TICK, ...due].map((cron) => dev.cron(cron, at)));
    for (const r of results) if (r.status === 'rejected') console.error(`   cron at ${new Date(at).toISOString()}: ${String(r.reason)}`);
  };
  const arm = () => {
    if (stopped) return;
    const at = Math.ceil((Date.now() + 1) / MINUTE) * MINUTE;
    timer = setTimeout(() => {
      void fire(at);
      arm();
    }, at - Date.now());
  };
  arm();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export const workerD1Target: NightlyTarget = {
  name: 'worker-d1',
  describe: 'functions/worker-handlers.ts under wrangler dev --local, D1 job table, Queues dispatch',
  startupMs: 45_000,
  async start(input) {
    const schedules = (parse(readFileSync(join(input.schedulesDir, 'nightly.yaml'), 'utf8')) as { schedules: BenchSchedule[] }).schedules;
    const config = parse(readFileSync(input.configFile, 'utf8')) as unknown;
    const clouds = (parse(readFileSync(input.world.cloudsFile, 'utf8')) as { clouds: Record<string, unknown> }).clouds;
    const entry = join(input.dir, 'worker-entry.ts');
    writeFileSync(join(input.dir, 'schedules.json'), JSON.stringify(schedules));
    writeFileSync(entry, entryModule());
    const configPath = join(input.dir, 'wrangler.toml');
    writeFileSync(configPath, benchWranglerToml(entry, [...new Set(schedules.map((s) => s.cron)), SAFETY_TICK]));
    const dev = await startWranglerDev(
      {
        SNAPFLOW_CONFIG_JSON: JSON.stringify(config),
        SNAPFLOW_CLOUDS: JSON.stringify(clouds),
        SNAPFLOW_TIME_SCALE: String(input.shape.scale),
      },
      { configPath, strace: false, startupMs: 40_000 },
    );
    const crons = cronDriver(dev, schedules);
    let table: ReturnType<typeof sqliteTableReader>;
    try {
      table = sqliteTableReader(d1File(dev));
    } catch (err) {
      crons.stop();
      await dev.stop();
      throw err;
    }
    const logFile = join(input.dir, 'wrangler.log');
    return {
      services: [{ name: 'wrangler-dev', url: dev.base, logFile }],
      table,
      cpuSeconds: () => ({ 'wrangler+workerd': [...treeCpu(dev.pid ?? 0).values()].reduce((a, b) => a + b, 0) }),
      stop: async () => {
        crons.stop();
        await table.close();
        writeFileSync(logFile, dev.output());
        await dev.stop();
      },
    };
  },
};
