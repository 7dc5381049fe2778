// The few Workers runtime shapes the entry uses, declared here instead of pulling
// @cloudflare/workers-types into the root tsconfig (its globals clash with @types/node).
import type { D1Like } from '../shared/jobs/job-db';

/** The `ctx` of a fetch or scheduled event. */
export interface WorkerExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The `controller` of a Cron Trigger event. */
export interface WorkerScheduledController {
  /** ms since the epoch: the minute the trigger was due (not when it actually ran). */
  readonly scheduledTime: number;
  readonly cron: string;
}

/**
 * Bindings: `DB` (D1, the job table) plus the string variables and secrets
 * configFromEnv reads (SNAPFLOW_TOKENS, SNAPFLOW_CONFIG_JSON, …) and SNAPFLOW_CLOUDS.
 */
export interface WorkerEnv {
  DB?: D1Like;
  /** Secret: a JSON object of clouds.yaml entries by cloud name. */
  SNAPFLOW_CLOUDS?: string;
  [binding: string]: unknown;
}
