import { CRON_ALIASES, nextAfter, previousSlot, slotsBetween } from './cron';
import type { Schedule } from './schema';

type Timed = Pick<Schedule, 'cron' | 'timezone'>;

/**
 * Idempotency key of the snapshot job for one server in one slot. Overlapping ticks and
 * several instances compute the same key, so a slot is never snapshotted twice.
 */
export function slotKey(schedule: Pick<Schedule, 'name'>, slot: Date, server: string): string {
  return `schedule:${schedule.name}:${slot.toISOString()}:${server}`;
}

/** The next slot strictly after `now`. */
export function nextRun(schedule: Timed, now: Date): Date {
  return nextAfter(schedule.cron, schedule.timezone, now);
}

/**
 * The slot to run late at start-up: the most recent slot at or before `now`, if it is
 * within `graceMs` of now and later than the last one fired. Older missed slots are
 * deliberately dropped: one fresh snapshot is worth more than a burst of stale ones.
 */
export function missedSlot(schedule: Timed & Pick<Schedule, 'enabled'>, lastFiredAt: Date | null, now: Date, graceMs: number): Date | null {
  if (!schedule.enabled || graceMs < 0) return null;
  const slot = previousSlot(schedule.cron, schedule.timezone, now, new Date(now.getTime() - graceMs));
  if (slot === null) return null;
  if (lastFiredAt !== null && slot.getTime() <= lastFiredAt.getTime()) return null;
  return slot;
}

/**
 * Slots in (since, now] for a periodic tick (node-cron or a Workers Cron Trigger): the
 * tick need not coincide with the slots, so a coarse or late tick still finds them.
 */
export function dueSlots(schedule: Timed & Pick<Schedule, 'enabled'>, since: Date, now: Date, limit = 100): Date[] {
  if (!schedule.enabled) return [];
  return slotsBetween(schedule.cron, schedule.timezone, since, now, limit);
}

/** An expression in the five-field form a Cron Trigger carries (aliases expanded, single spaces). */
function triggerForm(expr: string): string {
  const t = expr.trim();
  return (CRON_ALIASES[t.toLowerCase()] ?? t).split(/\s+/).join(' ');
}

/**
 * The slot a Cron Trigger of `cron` fired at `at` stands for: the schedule's most recent slot
 * at or before `at`, if the schedule is enabled and written with that expression. On time
 * that is `at` itself; a trigger run by hand at another time (the dashboard's button)
 * stands for the last slot that came due.
 */
export function triggeredSlot(schedule: Timed & Pick<Schedule, 'enabled'>, cron: string, at: Date): Date | null {
  if (!schedule.enabled || triggerForm(schedule.cron) !== triggerForm(cron)) return null;
  return previousSlot(schedule.cron, schedule.timezone, at);
}
