// Error types steps throw (or return via fail/retry) to steer the engine. They are plain
// Error subclasses so they also work across realms (Workers) via name/flag duck-typing.
import type { Job } from '../jobs/types';

export class NonRetryableError extends Error {
  readonly code: string;
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NonRetryableError';
    this.code = opts.code ?? 'failed';
  }
}

export class RetryAfterError extends Error {
  readonly afterMs: number;
  readonly code: string;
  constructor(afterMs: number, message = `retry after ${afterMs} ms`, opts: { code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RetryAfterError';
    this.afterMs = afterMs;
    this.code = opts.code ?? 'retry_after';
  }
}

/** The step's `timeout` elapsed; the engine aborted ctx.signal with this reason. */
export class StepTimeoutError extends Error {
  readonly timeout = true;
  readonly code = 'timeout';
  constructor(step: string, ms: number) {
    super(`step "${step}" timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** The heartbeat found the lease taken by another owner: whatever the step does is discarded. */
export class LeaseLostError extends Error {
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
