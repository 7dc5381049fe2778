import { describe, expect, it } from 'vitest';
import { retryDelayMs, waitDelayMs } from '../../shared/engine/backoff';

const policy = { baseMs: 100, maxMs: 5_000, factor: 2 };

describe('retryDelayMs (full jitter: max(floor, random * min(maxMs, baseMs * factor^(attempt-1))))', () => {
  it('grows exponentially with the attempt at the top of the jitter range', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(policy, a, top))).toEqual([99, 199, 399, 799, 1599]);
  });

  it('is capped at maxMs', () => {
    expect(retryDelayMs(policy, 30, () => 0.5)).toBe(2_500);
    expect(retryDelayMs(policy, 1000, () => 1)).toBe(5_000);
  });

  it('spreads over [0, ceiling) with the random source', () => {
    expect(retryDelayMs(policy, 3, () => 0)).toBe(0);
    expect(retryDelayMs(policy, 3, () => 0.25)).toBe(100);
  });

  it('treats Retry-After as a floor, even above the cap', () => {
    expect(retryDelayMs(policy, 1, () => 0, 2_000)).toBe(2_000);
    expect(retryDelayMs(policy, 10, () => 1, 60_000)).toBe(60_000);
    expect(retryDelayMs(policy, 10, () => 1, 10)).toBe(5_000);
  });

  it('clamps a misbehaving random source', () => {
    expect(retryDelayMs(policy, 2, () => 7)).toBe(200);
    expect(retryDelayMs(policy, 2, () => -1)).toBe(0);
  });
});

describe('waitDelayMs (adaptive: min(max(maxMs, after), (after ?? baseMs) * 2^(streak-1)))', () => {
  it('doubles from 0.5 s up to the default 30 s cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((s) => waitDelayMs(undefined, s))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('uses the step policy', () => {
    expect([1, 2, 3, 4].map((s) => waitDelayMs({ baseMs: 200, maxMs: 1000 }, s))).toEqual([200, 400, 800, 1000]);
  });

  it('starts from an explicit after and honours one above the cap', () => {
    expect([1, 2, 3].map((s) => waitDelayMs({ maxMs: 10_000 }, s, 3_000))).toEqual([3000, 6000, 10000]);
    expect([1, 2].map((s) => waitDelayMs({ maxMs: 1_000 }, s, 60_000))).toEqual([60000, 60000]);
  });

  it('never returns a zero wait for after: 0 (no spinning on the job table)', () => {
    expect([1, 2].map((s) => waitDelayMs(undefined, s, 0))).toEqual([500, 1000]);
  });
});
