// Runner tasks: image-cleaning work a job's step hands to a sysprep runner (the protocol is
// shared/runner/protocol.ts). They live next to the jobs in the same database, so a task's
// completion can make its job due in the same transaction. Timestamps are epoch ms. The store
// methods are RunnerTaskStore in types.ts.
import type { z } from 'zod';
import type { TaskClean, TaskSource, TaskTarget } from '../runner/protocol';

export const RUNNER_TASK_STATES = ['queued', 'leased', 'done', 'failed', 'cancelled'] as const;
export type RunnerTaskState = (typeof RUNNER_TASK_STATES)[number];
/** States a runner may still hold or take the task in. */
export const OPEN_TASK_STATES: readonly RunnerTaskState[] = ['queued', 'leased'];

export type RunnerTaskSource = z.infer<typeof TaskSource>;
export type RunnerTaskClean = z.infer<typeof TaskClean>;
export type RunnerTaskTarget = z.infer<typeof TaskTarget>;

/** What the task touches, for a runner token limited to targets (cloud/project/server globs). */
export interface RunnerTaskScope {
  cloud: string;
  server: string;
}

export interface NewRunnerTask {
  id: string;
  jobId: string;
  /** The step that made it; with `key`, what makes a retried step find its task again. */
  step: string;
  key: string;
  source: RunnerTaskSource;
  clean: RunnerTaskClean;
  target: RunnerTaskTarget;
  scopes: RunnerTaskScope[];
  /** Retryable failures the runners may report before the task fails for good. */
  maxAttempts: number;
  /** Past this the step gives up on the task (null: only the job's own deadline). */
  deadline: number | null;
}

export interface RunnerTaskError {
  code: string;
  message: string;
  retryable: boolean;
  phase: string;
}

export interface RunnerTaskResult {
  imageId: string;
  bytes: number;
  verified: { source: Record<string, string>; target: Record<string, string> };
  warnings: string[];
}

export interface RunnerTask extends NewRunnerTask {
  seq: number;
  state: RunnerTaskState;
  /** Claims so far (a lost lease and a retry each add one). */
  attempt: number;
  /** Retryable failures reported so far (a runner that was stopped does not count). */
  failures: number;
  leaseOwner: string | null;
  /** sha256 of the lease token: the token itself is only ever in the runner's hands. */
  leaseTokenHash: string | null;
  leaseExpiresAt: number | null;
  phase: string | null;
  bytesDone: number;
  bytesTotal: number;
  result: RunnerTaskResult | null;
  /** The last failure a runner reported (also kept when the task was put back). */
  error: RunnerTaskError | null;
  createdAt: number;
  updatedAt: number;
  claimedAt: number | null;
  heartbeatAt: number | null;
  finishedAt: number | null;
}

/** Columns a guarded update may set. */
export interface RunnerTaskPatch {
  state?: RunnerTaskState;
  failures?: number;
  leaseOwner?: string | null;
  leaseTokenHash?: string | null;
  leaseExpiresAt?: number | null;
  phase?: string | null;
  bytesDone?: number;
  bytesTotal?: number;
  result?: RunnerTaskResult | null;
  error?: RunnerTaskError | null;
  heartbeatAt?: number | null;
  finishedAt?: number | null;
}
