import { ScheduleSchema } from './schema';
import type { Schedule } from './schema';
import { formatIssues } from '../config/zod-issues';

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

export interface ValidateOptions {
  /** names of the notifications the configuration defines (checks `notify.to`) */
  notificationNames?: readonly string[];
}

/**
 * Validates every declared schedule, collecting all problems, so one start-up attempt
 * reports every broken schedule (`schedule "nightly": cron: ...`).
 */
export function validateSchedules(sources: readonly ScheduleSource[], opts: ValidateOptions = {}): Schedule[] {
  const problems: string[] = [];
  const out: Schedule[] = [];
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
    out.push(s);
  });
  if (problems.length > 0) throw new ScheduleConfigError(problems);
  return out;
}
