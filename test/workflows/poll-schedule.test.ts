// The image poll's schedule: anchored at createImage (1, 3, 7, 15, 31 … × base after it), so
// the time each poll itself takes does not push the later ones back; capped at maxMs.
import { describe, expect, it } from 'vitest';
import { DurationHints, hintedPollAt } from '../../functions/workflows/snapshot-timing';
import { nextPollAt } from '../../functions/workflows/step-support';

describe('nextPollAt', () => {
  const since = 1_000_000;
  it('gives base × (2^k − 1) after the start, the first such point after now', () => {
    expect(nextPollAt(since, since, 1_000, 60_000)).toBe(since + 1_000);
    expect(nextPollAt(since, since + 1_000, 1_000, 60_000)).toBe(since + 3_000);
    // a poll that ended 400 ms late still has its successor at 7 s, not 4 s after it
    expect(nextPollAt(since, since + 3_400, 1_000, 60_000)).toBe(since + 7_000);
    expect(nextPollAt(since, since + 15_100, 1_000, 60_000)).toBe(since + 31_000);
  });

  it('never waits more than maxMs from now', () => {
    expect(nextPollAt(since, since + 70_000, 1_000, 60_000)).toBe(since + 127_000);
    expect(nextPollAt(since, since + 130_000, 1_000, 60_000)).toBe(since + 190_000);
  });

  it('a start in the future (clock skew) polls at the first point', () => {
    expect(nextPollAt(since + 5_000, since, 1_000, 60_000)).toBe(since + 6_000);
  });
});

describe('hintedPollAt and DurationHints', () => {
  const since = 2_000_000;
  it('without a hint: the doubling schedule', () => {
    expect(hintedPollAt(since, since + 1_000, 1_000, 60_000, undefined)).toBe(since + 3_000);
  });

  it('with a hint of 30 s: the doubling points first, then every quarter base from 29.75 s', () => {
    expect(hintedPollAt(since, since + 1_000, 1_000, 60_000, 30_000)).toBe(since + 3_000);
    expect(hintedPollAt(since, since + 15_000, 1_000, 60_000, 30_000)).toBe(since + 29_750);
    expect(hintedPollAt(since, since + 29_750, 1_000, 60_000, 30_000)).toBe(since + 30_000);
    expect(hintedPollAt(since, since + 30_000, 1_000, 60_000, 30_000)).toBe(since + 30_250);
  });

  it('past twice the hint: the doubling schedule alone', () => {
    expect(hintedPollAt(since, since + 61_000, 1_000, 60_000, 30_000)).toBe(since + 63_000);
  });

  it('keeps a running average per key, ignoring nonsense', () => {
    const h = new DurationHints();
    expect(h.get('a')).toBeUndefined();
    h.record('a', 30_000);
    h.record('a', 40_000);
    expect(h.get('a')).toBe(33_000);
    h.record('a', Number.NaN);
    h.record('a', -5);
    expect(h.get('a')).toBe(33_000);
    expect(h.get('b')).toBeUndefined();
  });
});
