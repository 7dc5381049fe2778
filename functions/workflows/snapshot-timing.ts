// How long a cloud takes to make a snapshot image active, learned from the ones this process
// saw, so the image poll can look closely around that time instead of only at the doubling
// schedule's points (1, 3, 7, 15, 31 … s: an image active at 30 s is seen at 31 s). A hint,
// never a promise: the doubling points stay, so a faster snapshot is still seen early, and
// past twice the hint the poll falls back to them alone. Kept in memory per workflow (one
// process, or one Workers isolate): a fresh process polls as before until it has seen one.
import { nextPollAt } from './step-support';

/** Weight of the newest observation in the running average. */
const ALPHA = 0.3;

export class DurationHints {
  private readonly byKey = new Map<string, number>();

  get(key: string): number | undefined {
    return this.byKey.get(key);
  }

  record(key: string, ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    const prev = this.byKey.get(key);
    this.byKey.set(key, prev === undefined ? ms : prev + ALPHA * (ms - prev));
  }
}

/**
 * The next poll: the doubling schedule's next point, or, around the expected duration, a
 * poll every quarter of the base interval from a quarter before it, whichever comes first.
 */
export function hintedPollAt(since: number, now: number, baseMs: number, maxMs: number, expectedMs: number | undefined): number {
  const doubling = nextPollAt(since, now, baseMs, maxMs);
  if (expectedMs === undefined || now - since > 2 * expectedMs) return doubling;
  const fine = baseMs / 4;
  const start = since + expectedMs - fine;
  return Math.min(doubling, now < start ? start : now + fine);
}
