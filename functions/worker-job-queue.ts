// The Worker's dispatcher, producer side: a job's next step is a message `{jobId, at}` on a
// Cloudflare Queue (binding SNAPFLOW_JOBS), delayed until the step is due; the queue()
// consumer (worker-queue-consumer.ts) runs it in an invocation of its own, with a
// consumer's wall time instead of the 30 s a response's waitUntil gets.
import { z } from 'zod';
import type { JobQueue } from '../shared/engine/job-queue';
import type { WaitUntil, WorkerQueue } from './worker-types';

export const JOBS_QUEUE_BINDING = 'SNAPFLOW_JOBS';

/**
 * The longest delay sent: Cloudflare's documented limit on `delaySeconds` (Queues limits
 * page). A later wake-up arrives early and the consumer sends it on for the rest.
 */
export const MAX_DELAY_SECONDS = 12 * 3600;

export const jobMessageSchema = z.strictObject({
  jobId: z.string().min(1).max(200),
  /** when the step is due (epoch ms): the consumer tells a stale message by it */
  at: z.number().finite().nonnegative(),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

/**
 * Queue delays are whole seconds: a wait is rounded DOWN, so the message arrives at most a
 * second early and the consumer sleeps the rest (EARLY_WAIT_MS in worker-queue-consumer.ts)
 * instead of every wait ending up to a second late; due now (or past) goes out at once.
 */
export function delaySecondsFor(at: number, now: number): number {
  const ms = at - now;
  if (ms <= 0) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.floor(ms / 1000));
}

/** The engine's JobQueue over the binding; each send is held open with `waitUntil`. */
export function createQueueSender(queue: WorkerQueue, waitUntil: WaitUntil, now: () => number): JobQueue {
  return {
    send(jobId, at) {
      const message: JobMessage = { jobId, at };
      // A send made while answering a request must outlive the response.
      const sent = queue.send(message, { contentType: 'json', delaySeconds: delaySecondsFor(at, now()) }).then(() => undefined);
      waitUntil(sent.catch(() => undefined));
      return sent;
    },
  };
}
