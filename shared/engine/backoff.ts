// The engine's two delay formulas, pure so they can be tested without a clock.

export interface RetryPolicy {
  /** Total attempts including the first; default DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  baseMs: number;
  maxMs: number;
  factor: number;
}

export interface WaitPolicy {
  /** First adaptive wait when the step gives no `after`; default 500 ms. */
  baseMs?: number;
  /** Cap of the adaptive growth; default 30 s. */
  maxMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * A policy with its delays multiplied by `scale` (the engine's timeScale: tests run the real
 * workflows with 1/100 of the delays). Attempts are not scaled; nor is a server's
 * Retry-After, which is the server's word.
 */
export function scaleRetry(p: RetryPolicy, scale: number): RetryPolicy {
  if (scale === 1) return p;
  return { ...p, baseMs: Math.max(1, Math.round(p.baseMs * scale)), maxMs: Math.max(1, Math.round(p.maxMs * scale)) };
}

export function scaleWait(p: WaitPolicy | undefined, scale: number): WaitPolicy | undefined {
  if (scale === 1) return p;
  return {
    baseMs: Math.max(1, Math.round((p?.baseMs ?? DEFAULT_WAIT_BASE_MS) * scale)),
    maxMs: Math.max(1, Math.round((p?.maxMs ?? DEFAULT_WAIT_MAX_MS) * scale)),
  };
}
export const DEFAULT_WAIT_BASE_MS = 500;
export const DEFAULT_WAIT_MAX_MS = 30_000;

/**
 * Full-jitter exponential backoff after failed attempt `attempt` (1-based):
 *   delay = max(floorMs, floor(random() * min(maxMs, baseMs * factor^(attempt-1))))
 * `floorMs` is a server's Retry-After (or a step's retry(err, afterMs)); it wins over the cap
 * because retrying earlier than the server asked only earns another 429.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random, floorMs = 0): number {
  const exp = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * policy.factor ** exp);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(Math.max(0, floorMs), Math.floor(r * ceiling));
}

/**
 * Adaptive wait for the `streak`-th consecutive wait (1-based) of the same step:
 *   start = after > 0 ? after : baseMs;  delay = min(max(maxMs, after ?? 0), start * 2^(streak-1))
 * so polls of a slow resource go 0.5 s, 1 s, 2 s … up to the cap; an explicit `after`
 * larger than the cap is honoured as is. A zero `after` would make a polling step spin on
 * the job table, so it falls back to baseMs.
 */
export function waitDelayMs(policy: WaitPolicy | undefined, streak: number, after?: number): number {
  const base = policy?.baseMs ?? DEFAULT_WAIT_BASE_MS;
  const cap = Math.max(policy?.maxMs ?? DEFAULT_WAIT_MAX_MS, after ?? 0);
  const start = after !== undefined && after > 0 ? after : base;
  return Math.max(0, Math.min(cap, start * 2 ** Math.max(0, streak - 1)));
}
