import { formatIssues } from '../config/zod-issues';
import type { Schedule } from './schema';
import { ScheduleSchema } from './schema';

/** One declared schedule and where it came from (a file name), for error messages. */
export interface ScheduleSource {
  input: unknown;
  origin?: string;
}

export class ScheduleConfigError extends Error {
  override name = 'ScheduleConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

function labelOf(input: unknown, index: number): string {
  const name = (input as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? `schedule "${name}"` : `schedule #${index + 1}`;
}

export interface ScheduleClouds {
  /** every cloud entry defined (usable or not) */
  names: readonly string[];
  /** why a defined cloud cannot be used (a broken clouds.yaml entry), else undefined */
  problem?(name: string): string | undefined;
  /** told about each enabled schedule whose cloud is defined but unusable */
  warn?(line: string): void;
}

export interface ValidateOptions {
  /** names of the notifications the configuration defines (checks `notify.to`) */
  notificationNames?: readonly string[];
  /**
   * The configured clouds (checks `target.cloud` of enabled schedules). A cloud that is
   * not defined at all is a typo in the schedule: an error, like any other bad field. A
   * cloud that is defined but unusable is a clouds.yaml problem: that must not stop the
   * service (other clouds keep working), so the schedule only gets a warning and each of
   * its slots records the cloud's problem.
   */
  clouds?: ScheduleClouds;
}

/**
 * Validates every declared schedule, collecting all problems, so one start-up attempt
 * reports every broken schedule (`schedule "nightly": cron: ...`).
 */
export function validateSchedules(sources: readonly ScheduleSource[], opts: ValidateOptions = {}): Schedule[] {
  const problems: string[] = [];
  const out: Schedule[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  sources.forEach((src, index) => {
    const label = labelOf(src.input, index);
    const prefix = src.origin ? `${src.origin}: ${label}` : label;
    const parsed = ScheduleSchema.safeParse(src.input);
    if (!parsed.success) {
      problems.push(...formatIssues(parsed.error, prefix));
      return;
    }
    const s = parsed.data;
    const where = src.origin ?? 'schedules';
    const earlier = seen.get(s.name);
    if (earlier !== undefined) {
      problems.push(`${prefix}: name: duplicate schedule name (also declared in ${earlier})`);
      return;
    }
    seen.set(s.name, where);
    if (s.notify && opts.notificationNames) {
      s.notify.to.forEach((n, i) => {
        if (!opts.notificationNames!.includes(n)) {
          problems.push(`${prefix}: notify.to.${i}: unknown notification "${n}"`);
        }
      });
    }
    if (opts.clouds && s.enabled) {
      const cloud = s.target.cloud;
      if (!opts.clouds.names.includes(cloud)) {
        const known = opts.clouds.names.length ? `configured clouds: ${opts.clouds.names.join(', ')}` : 'no cloud is configured';
        problems.push(`${prefix}: target.cloud: unknown cloud "${cloud}" (${known})`);
        return;
      }
      const problem = opts.clouds.problem?.(cloud);
      if (problem) warnings.push(`${prefix}: target.cloud: cloud "${cloud}" is unusable, the schedule's slots will fail: ${problem}`);
    }
    out.push(s);
  });
  if (problems.length > 0) throw new ScheduleConfigError(problems);
  for (const w of warnings) opts.clouds?.warn?.(w);
  return out;
}
