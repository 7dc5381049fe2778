// What a service of bench/nightly.ts reads: the snapflow configuration (the per-project
// snapshot limit, an admin token by hash) and one schedule per cloud, all firing the same
// slot with the nightly policy's retention.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ScheduleInput } from '../../shared/schedule/schema';
import type { TargetInput } from './nightly-target';
import { NIGHTLY_SELECTOR_KEY, NIGHTLY_SELECTOR_VALUE, type NightlyShape, type NightlyWorld } from './nightly-world';

export interface ServiceFiles {
  configFile: string;
  schedulesDir: string;
  token: string;
}

/** The schedules: one per cloud, cron at `slot`'s minute (UTC), selector on server metadata. */
export function nightlySchedules(world: NightlyWorld, shape: NightlyShape, slot: Date): ScheduleInput[] {
  return world.clouds.map((cloud) => ({
    name: world.policyOf(cloud),
    description: `bench nightly of ${cloud}`,
    cron: `${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`,
    timezone: 'UTC',
    target: { cloud, selector: { [NIGHTLY_SELECTOR_KEY]: NIGHTLY_SELECTOR_VALUE } },
    retention: { keep: shape.keep },
    stop: shape.stop,
  }));
}

export function writeServiceFiles(dir: string, world: NightlyWorld, shape: NightlyShape, slot: Date): ServiceFiles {
  const token = randomBytes(24).toString('base64url');
  const configFile = join(dir, 'snapflow.yaml');
  writeFileSync(
    configFile,
    stringify({
      limits: { snapshotsPerProject: shape.limit },
      tokens: [{ name: 'bench', hash: `sha256:${createHash('sha256').update(token).digest('hex')}`, scopes: ['admin'], targets: ['**'] }],
    }),
  );
  const schedulesDir = join(dir, 'schedules');
  mkdirSync(schedulesDir, { recursive: true });
  writeFileSync(join(schedulesDir, 'nightly.yaml'), stringify({ schedules: nightlySchedules(world, shape, slot) }));
  return { configFile, schedulesDir, token };
}

/** The environment of one `npm start` of a target (SNAPFLOW_DB is the target's own). */
export function nodeServiceEnv(input: TargetInput): Record<string, string> {
  return {
    OS_CLIENT_CONFIG_FILE: input.world.cloudsFile,
    SNAPFLOW_CONFIG: input.configFile,
    SNAPFLOW_SCHEDULES_DIR: input.schedulesDir,
    SNAPFLOW_TIME_SCALE: String(input.shape.scale),
  };
}
