// Minimal typing for the `cloudflare:test` helpers the workerd suites use (the package's own
// declarations need the @cloudflare/workers-types globals, kept out of the root tsconfig).
declare module 'cloudflare:test' {
  type Ctx = import('../../functions/worker-types').WorkerExecutionContext;
  type Controller = import('../../functions/worker-types').WorkerScheduledController;
  type Batch = import('../../functions/worker-types').WorkerMessageBatch;
  export function createExecutionContext(): Ctx;
  /** Waits for every `ctx.waitUntil()`ed promise to settle. */
  export function waitOnExecutionContext(ctx: Ctx): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: Date | number; cron?: string }): Controller;
  /** A batch as the queue runtime hands it to a consumer. */
  export function createMessageBatch(queueName: string, messages: { id: string; timestamp: Date; attempts: number; body: unknown }[]): Batch;
  /** The acks and retries the consumer made on a batch of createMessageBatch. */
  export function getQueueResult(
    batch: Batch,
    ctx: Ctx,
  ): Promise<{
    outcome: string;
    ackAll: boolean;
    retryBatch: { retry: boolean; delaySeconds?: number };
    explicitAcks: string[];
    retryMessages: { msgId: string; delaySeconds?: number }[];
  }>;
}
