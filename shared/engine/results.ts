// What a step's run(ctx) returns. Steps never sleep: a wait or retry is committed as
// state `waiting` with a run_after and the engine comes back to the step later.

export interface DoneResult<Patch = Record<string, unknown>> {
  kind: 'done';
  /** Shallow-merged into the job context; later steps read it. */
  patch?: Patch;
}

export interface WaitResult {
  kind: 'wait';
  /** Come back at this epoch-ms instant (exact, no adaptive growth). */
  until?: number;
  /** Come back after at least this many ms; grows with consecutive waits of the step. */
  after?: number;
  /** Human-readable: recorded on the event and in a deadline error. */
  reason: string;
}

export interface RetryResult {
  kind: 'retry';
  error: unknown;
  /** Lower bound for the backoff delay (e.g. a Retry-After the step saw). */
  afterMs?: number;
}

export interface FailResult {
  kind: 'fail';
  error: unknown;
}

export type StepResult = DoneResult | WaitResult | RetryResult | FailResult;

export function done(): DoneResult<never>;
export function done<Patch extends Record<string, unknown>>(patch: Patch | undefined): DoneResult<Patch>;
export function done<Patch extends Record<string, unknown>>(patch?: Patch): DoneResult<Patch> {
  return patch === undefined ? { kind: 'done' } : { kind: 'done', patch };
}

export function wait(opts: { until?: number; after?: number; reason: string }): WaitResult {
  return { kind: 'wait', ...opts };
}

export function retry(error: unknown, afterMs?: number): RetryResult {
  return afterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, afterMs };
}

export function fail(error: unknown): FailResult {
  return { kind: 'fail', error };
}

export function isStepResult(value: unknown): value is StepResult {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'done' || kind === 'wait' || kind === 'retry' || kind === 'fail';
}
