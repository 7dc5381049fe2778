// What the steps that hand work to sysprep runners need besides WorkflowDeps: the task table
// (in the jobs' database) and the in-process wake-up of waiting claims. composeService builds
// it from the job store and the runner routes' signal.
import type { RunnerTaskStore } from '../../shared/jobs/types';

export interface RunnerStepDeps {
  tasks: Pick<RunnerTaskStore, 'enqueueRunnerTask' | 'findRunnerTask' | 'updateRunnerTask' | 'cancelRunnerTasks'>;
  /** A task was queued: wake this process's waiting claims at once. */
  queued(): void;
  /** Retryable runner failures a task may have before its job fails (config `runner.maxAttempts`). */
  maxAttempts: number;
}
