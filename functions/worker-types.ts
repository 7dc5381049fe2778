// The few Workers runtime shapes the entry uses, declared here instead of pulling
// @cloudflare/workers-types into the root tsconfig (its globals clash with @types/node).
import type { D1Like } from '../shared/jobs/job-db';

/** The `ctx` of a fetch, scheduled or queue event. */
export interface WorkerExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** `waitUntil` of `cloudflare:workers`: keeps the current event alive until the promise settles. */
export type WaitUntil = (promise: Promise<unknown>) => void;

/** The `controller` of a Cron Trigger event. */
export interface WorkerScheduledController {
  /** ms since the epoch: the minute the trigger was due (not when it actually ran). */
  readonly scheduledTime: number;
  readonly cron: string;
}

/** A Queue producer binding. */
export interface WorkerQueue {
  send(body: unknown, options?: { contentType?: 'json' | 'text' | 'bytes' | 'v8'; delaySeconds?: number }): Promise<unknown>;
}

/** One message of a consumer batch. */
export interface WorkerQueueMessage {
  readonly id: string;
  readonly body: unknown;
  /** 1 on the first delivery */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** The batch a `queue()` consumer is handed. */
export interface WorkerMessageBatch {
  /** the queue's name (not the binding's) */
  readonly queue: string;
  readonly messages: readonly WorkerQueueMessage[];
}

/**
 * Bindings: `DB` (D1, the job table), `SNAPFLOW_JOBS` (the job queue's producer) plus the
 * string variables and secrets configFromEnv reads (SNAPFLOW_TOKENS, SNAPFLOW_CONFIG_JSON,
 * …) and SNAPFLOW_CLOUDS.
 */
export interface WorkerEnv {
  DB?: D1Like;
  SNAPFLOW_JOBS?: WorkerQueue;
  /** Secret: a JSON object of clouds.yaml entries by cloud name. */
  SNAPFLOW_CLOUDS?: string;
  [binding: string]: unknown;
}
