// In-process wake-ups for the runners' long-polled claims: a task queued in this process
// (by the clean-image step, or put back after a retryable failure) wakes every waiting claim
// at once; one of them gets it, the others wait on. Tasks queued by another instance (and
// leases that run out) are found by the claim route's periodic re-check instead.
import { createJobNotifier, type JobWatch } from './job-notifier';

export interface RunnerTaskSignal {
  /** A task became claimable. */
  queued(): void;
  /** Opened before the first claim attempt, so a task queued in between is not missed. */
  watch(): JobWatch;
  /** Open watches (tests: a finished or abandoned long poll leaves none behind). */
  watching(): number;
}

/** The notifier's one key: every waiting claim listens to the same queue. */
const QUEUE = 'runner-tasks';

export function createRunnerTaskSignal(): RunnerTaskSignal {
  const notifier = createJobNotifier();
  return {
    queued: () => notifier.onEvent({ jobId: QUEUE }),
    watch: () => notifier.watch(QUEUE),
    watching: () => notifier.watching(),
  };
}
