import { CloudConfigError } from '../shared/openstack/clouds-node';
import { IntegrityError, NotFoundError, OpenStackError } from '../shared/openstack/errors';
import type { RunnerFailureCode, RunnerPhase } from '../shared/runner/protocol';
import { ToolMissingError } from './exec';

// How a task ends badly: a code from the protocol's list, a message for the operator (never a
// secret: OpenStack errors carry paths and the server's message, tool errors the tool's own
// error lines), and whether another attempt may succeed.

export class TaskError extends Error {
  override name = 'TaskError';
  constructor(
    readonly code: RunnerFailureCode,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why a task was stopped from outside its pipeline (AbortSignal reasons). */
export class TaskStop extends Error {
  override name = 'TaskStop';
  constructor(
    readonly why: 'cancelled' | 'lease_lost' | 'runner_stopping',
    message: string,
  ) {
    super(message);
  }
}

const TRANSFER_CODE: Partial<Record<RunnerPhase, RunnerFailureCode>> = { download: 'download_failed', upload: 'upload_failed' };

/** Maps anything a pipeline stage threw to a failure report. */
export function classify(err: unknown, phase: RunnerPhase): TaskError {
  if (err instanceof TaskError) return err;
  // this host's problem: another runner may have the tool
  if (err instanceof ToolMissingError) return new TaskError('sysprep_failed', err.message, true, { cause: err });
  if (err instanceof CloudConfigError) return new TaskError('cloud_not_configured', err.message, false, { cause: err });
  if (err instanceof IntegrityError) return new TaskError('integrity_mismatch', err.message, false, { cause: err });
  if (err instanceof OpenStackError) {
    if (phase === 'download' && err instanceof NotFoundError) {
      return new TaskError('source_not_found', err.message, false, { cause: err });
    }
    if (err.retryable) return new TaskError(TRANSFER_CODE[phase] ?? 'openstack_unavailable', err.message, true, { cause: err });
    return new TaskError('openstack_error', err.message, false, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC') return new TaskError('insufficient_space', `scratch disk full: ${(err as Error).message}`, false, { cause: err });
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new TaskError('internal_error', message, false, { cause: err });
}
