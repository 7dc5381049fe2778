// Node-only: reads `schedules/*.yaml` at start-up. Workers use `schedules/schedules.ts`
// alone, since there is no file system to read from.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlText } from '../config/yaml-errors';
import type { ScheduleSource, ValidateOptions } from './load';
import { ScheduleConfigError, validateSchedules } from './load';
import type { Schedule } from './schema';

/**
 * One YAML file holds a single schedule, a list of schedules, or `{ schedules: [...] }`.
 * Files are read in name order so error messages and duplicate detection are stable.
 */
export function readScheduleFiles(dir: string): ScheduleSource[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const sources: ScheduleSource[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const origin = join(dir, file);
    const parsed = parseYamlText(readFileSync(origin, 'utf8'), origin);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const data: unknown = parsed.value;
    if (data === null || data === undefined) continue;
    const list = Array.isArray(data) ? data : typeof data === 'object' && 'schedules' in data ? (data as { schedules: unknown }).schedules : [data];
    if (!Array.isArray(list)) {
      problems.push(`${origin}: schedules: expected a list`);
      continue;
    }
    for (const input of list) sources.push({ input, origin });
  }
  if (problems.length > 0) throw new ScheduleConfigError(problems);
  return sources;
}

/** The declared schedules (from schedules.ts) plus every YAML file in `dir`, validated. */
export function loadSchedulesNode(declared: readonly unknown[], dir: string, opts: ValidateOptions = {}): Schedule[] {
  const sources: ScheduleSource[] = [...declared.map((input) => ({ input, origin: 'schedules/schedules.ts' })), ...readScheduleFiles(dir)];
  return validateSchedules(sources, opts);
}
