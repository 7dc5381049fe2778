// The schedules of the Node entry: schedules/schedules.ts plus the YAML files of
// SNAPFLOW_SCHEDULES_DIR (default: the repository's schedules/, found next to this file
// so a service started from elsewhere does not silently lose them), checked against the
// configured clouds. A directory that was named but does not exist is an error: silently
// running without the operator's schedules would mean missing backups.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schedules as declaredSchedules } from '../schedules/schedules';
import type { Config } from '../shared/config/load';
import type { StepLogger } from '../shared/engine/define';
import { ScheduleConfigError } from '../shared/schedule/load';
import { loadSchedulesNode } from '../shared/schedule/load-node';
import type { Schedule } from '../shared/schedule/schema';
import type { NodeClouds } from './node-clouds';
import { settingName } from './node-paths';
import { fsReason, StartupError } from './node-startup-error';

/** The schedules directory, checked before anything is started. */
export function schedulesDir(env: Readonly<Record<string, string | undefined>>): string {
  const dir = resolve(env.SNAPFLOW_SCHEDULES_DIR || fileURLToPath(new URL('../schedules', import.meta.url)));
  const setting = settingName('SNAPFLOW_SCHEDULES_DIR', env.SNAPFLOW_SCHEDULES_DIR, 'the repository schedules/');
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new StartupError(`${setting}: ${code === 'ENOENT' ? `no such directory ${dir}` : `cannot read ${dir}: ${fsReason(err)}`}`);
  }
  if (!isDir) throw new StartupError(`${setting}: ${dir} is not a directory`);
  return dir;
}

export function loadNodeSchedules(config: Config, clouds: NodeClouds, dir: string, log: StepLogger): Schedule[] {
  try {
    return loadSchedulesNode(declaredSchedules, dir, {
      notificationNames: config.notifications.map((n) => n.name),
      clouds: { names: clouds.names, problem: clouds.problem, warn: (line) => log.warn(line) },
    });
  } catch (err) {
    if (err instanceof ScheduleConfigError) throw new StartupError(`invalid schedules: ${err.problems.join('; ')}`);
    throw err;
  }
}
