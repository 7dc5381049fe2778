// The Worker's dispatcher, consumer side: each message of a batch asks for one job's current
// step (and the steps after it that are due at once: engine.runChain). The claim is guarded, so a duplicate, a message for a job already past that step
// or one another handler holds finds nothing and is acknowledged and dropped. A message
// whose processing throws (D1 unavailable…) is retried by the queue, and after the queue's
// retries lands in the dead-letter queue; the job row stays in D1 either way, where the
// minute safety tick finds it.
import { issuesSummary } from '../shared/config/zod-issues';
import type { StepLogger } from '../shared/engine/define';
import type { Engine } from '../shared/engine/engine';
import type { JobQueue } from '../shared/engine/job-queue';
import { type JobStore, TERMINAL_STATES } from '../shared/jobs/types';
import { type JobMessage, jobMessageSchema } from './worker-job-queue';
import type { WorkerMessageBatch, WorkerQueueMessage } from './worker-types';

/**
 * What became of one message:
 * - ran: the step ran (and its commit sent the next message, if any);
 * - requeued: it came before the job was due (a wait longer than a queue delay): sent on;
 * - superseded: the job now waits for another time, whose own message is on its way;
 * - finished / held / gone: the job ended, another handler runs it, or it does not exist;
 * - blocked: due, but its lock or its project's limit is taken: the job that holds it
 *   starts it when it ends (hand-over), or else the safety tick does.
 */
export type MessageOutcome = 'ran' | 'requeued' | 'superseded' | 'finished' | 'held' | 'gone' | 'blocked';

export interface ConsumerDeps {
  engine: Pick<Engine, 'runChain'>;
  store: Pick<JobStore, 'getJob'>;
  queue: JobQueue;
  now(): number;
  sleep(ms: number): Promise<void>;
  log: StepLogger;
}

/**
 * A message at most this early is waited for in the invocation (delays are rounded down to
 * whole seconds, so every delayed message comes up to a second early; or a clock a little behind the
 * sender's), rather than sent on to come back a whole queue delay later.
 */
export const EARLY_WAIT_MS = 1_000;

/**
 * A job's following steps run in the same invocation while they are due at once, or after
 * waits that add up to at most EARLY_WAIT_MS (slept here): a hop through the queue costs a
 * delivery. Bounded, so one busy job cannot hold the invocation.
 */
export const CHAIN_BUDGET_MS = 60_000;

/** Two readings of one due time (a JSON number and a stored one) are the same wake-up. */
const sameTime = (a: number, b: number): boolean => Math.abs(a - b) < 1;

export async function consumeJobMessage(d: ConsumerDeps, msg: JobMessage): Promise<MessageOutcome> {
  let waited = false;
  let reclaimed = false;
  for (;;) {
    const budget = { untilMs: d.now() + CHAIN_BUDGET_MS, sleepUpToMs: EARLY_WAIT_MS, sleep: d.sleep };
    if (await d.engine.runChain(msg.jobId, budget)) return 'ran';
    const job = await d.store.getJob(msg.jobId);
    if (!job) return 'gone';
    if (TERMINAL_STATES.includes(job.state)) return 'finished';
    if (job.state === 'running') return 'held';
    const early = job.runAfter - d.now();
    if (job.cancelRequested) return 'blocked';
    if (early <= 0) {
      // It became due between the claim and this read (a message comes up to a second
      // early): claim once more before taking it for blocked, or it would wait for the tick.
      if (reclaimed) return 'blocked';
      reclaimed = true;
      continue;
    }
    if (!sameTime(job.runAfter, msg.at)) return 'superseded';
    if (waited || early > EARLY_WAIT_MS) {
      await d.queue.send(msg.jobId, job.runAfter);
      return 'requeued';
    }
    waited = true;
    // a timer may fire a little before the clock says the job is due
    await d.sleep(early + 2);
  }
}

/** Seconds before the queue delivers a failed message again: 2, 4, 8 … up to a minute. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(60, 2 ** Math.max(1, attempts));
}

function parse(m: WorkerQueueMessage, log: StepLogger): JobMessage | null {
  const parsed = jobMessageSchema.safeParse(m.body);
  if (parsed.success) return parsed.data;
  // Retrying a malformed message cannot help; the problem names fields, never values.
  log.error('dropped a queue message that is not a job message', { messageId: m.id, problem: issuesSummary(parsed.error) });
  m.ack();
  return null;
}

/** The consumer of the job queue: every message of the batch at once, each acked or retried on its own. */
export async function consumeBatch(batch: WorkerMessageBatch, d: ConsumerDeps): Promise<Partial<Record<MessageOutcome, number>>> {
  const counts: Partial<Record<MessageOutcome, number>> = {};
  await Promise.all(
    batch.messages.map(async (m) => {
      const msg = parse(m, d.log);
      if (!msg) return;
      try {
        const outcome = await consumeJobMessage(d, msg);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        m.ack();
      } catch (err) {
        d.log.warn('job message failed; the queue delivers it again', {
          jobId: msg.jobId,
          attempts: m.attempts,
          error: err instanceof Error ? err.message : String(err),
        });
        m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });
      }
    }),
  );
  return counts;
}

/**
 * The consumer of the dead-letter queue: says loudly which job's message the queue gave up
 * on. Nothing is lost with it: the job is in D1, and the safety tick claims it when due.
 */
export async function consumeDeadLetters(batch: WorkerMessageBatch, d: Pick<ConsumerDeps, 'store' | 'log'>): Promise<void> {
  for (const m of batch.messages) {
    const msg = parse(m, d.log);
    if (!msg) continue;
    const job = await d.store.getJob(msg.jobId).catch(() => null);
    d.log.error('a job message was dead-lettered after the queue retries; the safety tick resumes the job', {
      jobId: msg.jobId,
      state: job?.state ?? 'unknown',
      step: job?.step ?? null,
      attempts: m.attempts,
    });
    m.ack();
  }
}
