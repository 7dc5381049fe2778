// A deployment bench/nightly.ts measures. Each target starts its service(s) against the
// world's clouds.yaml, configuration and schedules, and hands back a reader of its job table;
// the bench does the rest (waits for the slot, samples, checks, profiles, reports). A new
// deployment (the Worker under `wrangler dev` on D1) is one more module implementing this,
// listed in nightly-targets.ts.

import type { JobTableReader } from './nightly-table';
import type { NightlyShape, NightlyWorld } from './nightly-world';

export interface TargetInput {
  world: NightlyWorld;
  shape: NightlyShape;
  /** scratch directory of this target's run */
  dir: string;
  /** snapflow configuration file (limits, tokens) */
  configFile: string;
  /** directory holding the run's schedule YAML */
  schedulesDir: string;
  /** an admin API token (the configuration holds its hash) */
  token: string;
}

export interface ServiceHandle {
  name: string;
  url: string;
  logFile: string;
}

export interface RunningTarget {
  services: ServiceHandle[];
  table: JobTableReader;
  /** CPU seconds so far of every process the target runs (services, database server), by name */
  cpuSeconds(): Record<string, number>;
  /** stops every service and frees what start() made (the table reader included) */
  stop(): Promise<void>;
}

export interface NightlyTarget {
  name: string;
  /** one line: runtime, job table, how many service processes */
  describe: string;
  /** how long start() may take, so the slot is put after it */
  startupMs: number;
  start(input: TargetInput): Promise<RunningTarget>;
}
