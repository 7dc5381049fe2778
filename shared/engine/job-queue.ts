// A queue that runs jobs' steps somewhere else: on Workers, a Cloudflare Queue whose
// consumer runs each step in an invocation of its own. An engine given one sends every
// chained step and every wake-up there instead of running it in this process; the steps
// it already holds (a job claimed by a hand-over) still run here, through `dispatch`.
// At-least-once delivery and duplicates are harmless: the consumer's claim is guarded, so
// a message for a job that is past that step, or held by another handler, finds nothing.

export interface JobQueue {
  /**
   * Asks for the job's current step to run at `at` (epoch ms; at or before now: at once).
   * Rejects when the message could not be sent; the job then waits for the safety tick.
   */
  send(jobId: string, at: number): Promise<void>;
}
