// The workerd suites' Worker: the real handlers (createWorker) on the local D1 database,
// with the two things the vitest pool cannot give a Worker built in a test: the job queue
// (a producer binding whose messages the test delivers to the real queue() consumer with
// createMessageBatch, as the queue runtime would) and `waitUntil` (collected, so a test
// waits for what an event left running).

import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import { type CreateWorkerOptions, type CronSummary, createWorker, type WorkerHandlers } from '../../functions/worker-handlers';
import type { JobMessage } from '../../functions/worker-job-queue';
import type { WorkerEnv, WorkerQueue } from '../../functions/worker-types';
import { type Job, TERMINAL_STATES } from '../../shared/jobs/types';

export const TOKEN = 'workers-app-test-token-0123456789';
export const RUNNER_TOKEN = 'workers-runner-token-0123456789';
const TOKENS = JSON.stringify([
  { name: 'ops', secret: TOKEN, scopes: ['admin'], targets: ['**'] },
  { name: 'runner', secret: RUNNER_TOKEN, scopes: ['runner'] },
]);
export const JOBS_QUEUE = 'snapflow-jobs';

/** The simulator started by sim-global-setup.ts, as the SNAPFLOW_CLOUDS entry `sim`. */
export const SIM_CLOUDS = JSON.stringify({ sim: JSON.parse(inject('simCloud')) as unknown });

export interface SentMessage {
  body: JobMessage;
  delaySeconds: number;
  sentAt: number;
}

export interface TestWorker {
  worker: WorkerHandlers;
  bindings: WorkerEnv;
  /** Messages sent to the job queue and not delivered yet (a test may drop one: a lost message). */
  queued: SentMessage[];
  /** Every message ever sent. */
  sent: SentMessage[];
  /** Waits for everything handed to waitUntil so far (and what those started). */
  settle(): Promise<void>;
  /** `auth`: the admin token (true, the default), none (false) or this token. */
  fetch(path: string, init?: RequestInit & { auth?: boolean | string }): Promise<{ status: number; text: string; json: () => any }>;
  /** Delivers these messages (default: every queued one) to the consumer as one batch. */
  deliver(messages?: SentMessage[], attempts?: number): ReturnType<typeof getQueueResult>;
  /** Delivers queued messages as they fall due (the body's `at`), until the job ends. */
  drive(jobId: string, timeoutMs?: number): Promise<Job>;
  cron(cron: string, scheduledTime?: number): Promise<CronSummary>;
  job(id: string): Promise<Job>;
}

export function testWorker(opts: { extra?: Record<string, unknown> } & Omit<CreateWorkerOptions, 'waitUntil'> = {}): TestWorker {
  const pending: Promise<unknown>[] = [];
  const waitUntil = (p: Promise<unknown>) => void pending.push(p);
  const sent: SentMessage[] = [];
  const queued: SentMessage[] = [];
  const queue: WorkerQueue = {
    async send(body, o) {
      const m = { body: body as JobMessage, delaySeconds: o?.delaySeconds ?? 0, sentAt: Date.now() };
      sent.push(m);
      queued.push(m);
    },
  };
  const bindings: WorkerEnv = {
    DB: env.DB,
    SNAPFLOW_JOBS: queue,
    SNAPFLOW_TOKENS: TOKENS,
    SNAPFLOW_CLOUDS: SIM_CLOUDS,
    SNAPFLOW_TIME_SCALE: '0.01',
    ...opts.extra,
  };
  const { extra: _extra, ...handlers } = opts;
  const worker = createWorker({ waitUntil, ...handlers });
  let seq = 0;

  async function settle() {
    while (pending.length > 0) await Promise.allSettled(pending.splice(0));
  }

  const t: TestWorker = {
    worker,
    bindings,
    queued,
    sent,
    settle,
    async fetch(path, init = {}) {
      const { auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth) headers.set('authorization', `Bearer ${auth === true ? TOKEN : auth}`);
      if (rest.body !== undefined) headers.set('content-type', 'application/json');
      const res = await worker.fetch(new Request(`https://snapflow.example${path}`, { ...rest, headers }), bindings, createExecutionContext());
      const text = await res.text();
      await settle();
      return { status: res.status, text, json: () => JSON.parse(text) };
    },
    async deliver(messages = queued.slice(), attempts = 1) {
      for (const m of messages) {
        const i = queued.indexOf(m);
        if (i >= 0) queued.splice(i, 1);
      }
      const batch = createMessageBatch(
        JOBS_QUEUE,
        messages.map((m) => ({ id: `m${++seq}`, timestamp: new Date(m.sentAt), attempts, body: m.body })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch, bindings, ctx);
      const result = await getQueueResult(batch, ctx);
      await settle();
      return result;
    },
    async drive(jobId, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const job = await t.job(jobId);
        if (TERMINAL_STATES.includes(job.state)) return job;
        if (Date.now() > end) throw new Error(`job ${jobId} still ${job.state} at ${job.step} after ${timeoutMs} ms`);
        const due = queued.filter((m) => m.body.at <= Date.now());
        if (due.length > 0) await t.deliver(due);
        else await new Promise((r) => setTimeout(r, 5));
      }
    },
    async cron(cron, scheduledTime = Date.now()) {
      const summary = await worker.runCron(createScheduledController({ scheduledTime, cron }), bindings);
      await settle();
      return summary;
    },
    async job(id) {
      const job = await (await worker.service(bindings)).store.getJob(id);
      if (!job) throw new Error(`no job ${id}`);
      return job;
    },
  };
  return t;
}
