// Error types steps throw (or return via fail/retry) to steer the engine. The contract is a
// property, not a class name (classify.ts): an error that knows whether trying again can
// help says so with `retryable` (and may ask for a delay with `retryAfterMs`); the engine
// believes it. Every error snapflow raises on purpose carries it (these, and the OpenStack
// client's); errors from elsewhere (fetch, sockets) are classified by their codes.
import type { Job } from '../jobs/types';

/** What the engine reads off an error. */
export interface RetryContract {
  readonly retryable: boolean;
  /** With retryable: wait at least this long (e.g. a server's Retry-After). */
  readonly retryAfterMs?: number;
  /** Stable code for the job record. */
  readonly code: string;
}

export function hasRetryContract(err: unknown): err is RetryContract {
  return typeof err === 'object' && err !== null && typeof (err as { retryable?: unknown }).retryable === 'boolean';
}

/** A failure retrying cannot fix. */
export class NonRetryableError extends Error implements RetryContract {
  readonly retryable = false;
  readonly code: string;
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NonRetryableError';
    this.code = opts.code ?? 'failed';
  }
}

/** Try again, but not before `afterMs`. */
export class RetryAfterError extends Error implements RetryContract {
  readonly retryable = true;
  readonly afterMs: number;
  readonly retryAfterMs: number;
  readonly code: string;
  constructor(afterMs: number, message = `retry after ${afterMs} ms`, opts: { code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RetryAfterError';
    this.afterMs = afterMs;
    this.retryAfterMs = afterMs;
    this.code = opts.code ?? 'retry_after';
  }
}

/** The step's `timeout` elapsed; the engine aborted ctx.signal with this reason. */
export class StepTimeoutError extends Error implements RetryContract {
  readonly retryable = true;
  readonly timeout = true;
  readonly code = 'timeout';
  constructor(step: string, ms: number) {
    super(`step "${step}" timed out after ${ms} ms`);
    this.name = 'StepTimeoutError';
  }
}

/** The heartbeat found the lease taken by another owner: whatever the step does is discarded. */
export class LeaseLostError extends Error implements RetryContract {
  readonly retryable = true;
  readonly code = 'lease_lost';
  constructor(jobId: string) {
    super(`lease on job ${jobId} was lost`);
    this.name = 'LeaseLostError';
  }
}

/** Raised by submit() when the params do not match the workflow's schema. */
export class InvalidParamsError extends Error {
  readonly code = 'invalid_params';
  readonly issues: unknown[];
  constructor(kind: string, issues: unknown[], summary: string) {
    super(`invalid params for "${kind}": ${summary}`);
    this.name = 'InvalidParamsError';
    this.issues = issues;
  }
}

export class UnknownKindError extends Error {
  readonly code = 'unknown_kind';
  constructor(kind: string) {
    super(`unknown workflow kind "${kind}"`);
    this.name = 'UnknownKindError';
  }
}

/**
 * Raised by an exclusive submit() while an unfinished job holds the lock key: nothing was
 * queued. `holder` is that job (the oldest unfinished one of the key).
 */
export class LockBusyError extends Error {
  readonly code = 'lock_busy';
  constructor(
    readonly lockKey: string,
    readonly holder: Job,
  ) {
    super(`${lockKey} is busy with ${holder.kind} job ${holder.id} (${holder.state})`);
    this.name = 'LockBusyError';
  }
}
