// The Workers handlers behind functions/worker.ts: the same Hono app as `fetch`, the job
// queue's consumer as `queue`, Cron Triggers as `scheduled`, D1 as the job table. The
// service is built lazily, once per isolate, on the first event (bindings only exist from
// then on). Nothing reachable from here may import a Node built-in
// (test/deploy/worker-bundle.test.ts bundles it to check).
import type { RunOutcome } from '../shared/engine/engine';
import type { FireResult } from './schedule-service';
import { createWorkerLogger } from './worker-logger';
import { consumeBatch, consumeDeadLetters, type MessageOutcome } from './worker-queue-consumer';
import { type BuildWorkerServiceOptions, buildWorkerService, WorkerConfigError, type WorkerService } from './worker-service';
import type { WaitUntil, WorkerEnv, WorkerExecutionContext, WorkerMessageBatch, WorkerScheduledController } from './worker-types';

/**
 * The every-minute Cron Trigger (wrangler.toml): the safety net for a queue message that
 * was lost, a step whose invocation died (its lease runs out), a job whose lock or limit
 * freed without a hand-over, and a schedule slot no trigger fired (within the grace window).
 */
export const SAFETY_TICK_CRON = '* * * * *';

/** Dead-letter queues are told from the job queue by this ending of their name (wrangler.toml). */
export const DEAD_LETTER_SUFFIX = '-dlq';

export interface CronSummary {
  /** Schedule slots this event fired (slots another event or instance fired are left out). */
  fired: FireResult[];
  /** Steps the safety-net tick ran. */
  ran: RunOutcome[];
}

export interface WorkerHandlers {
  fetch(request: Request, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<Response>;
  /** The job queue's consumer (and its dead-letter queue's). */
  queue(batch: WorkerMessageBatch, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<void>;
  /** Hands runCron to ctx.waitUntil. */
  scheduled(controller: WorkerScheduledController, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<void>;
  /** One Cron Trigger event's work; rejects when firing schedules or the tick failed. */
  runCron(controller: WorkerScheduledController, env: WorkerEnv): Promise<CronSummary>;
  /** The isolate's service, built on first use (tests reach the engine through it). */
  service(env: WorkerEnv): Promise<WorkerService>;
}

export interface CreateWorkerOptions {
  /** `waitUntil` of `cloudflare:workers` (tests pass one that collects the promises). */
  waitUntil: WaitUntil;
  /** Declared schedules; defaults to schedules/schedules.ts. */
  schedules?: readonly unknown[];
  /** Workflows besides the v1 kinds (tests only; the deployed Worker runs the v1 kinds). */
  workflows?: BuildWorkerServiceOptions['workflows'];
}

function misconfigured(problems: string[]): Response {
  // Problems name keys and rules, never values, so they are safe to show.
  const body = { error: { code: 'misconfigured', message: 'snapflow is misconfigured on this deployment', details: problems } };
  return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createWorker(opts: CreateWorkerOptions): WorkerHandlers {
  const log = createWorkerLogger();
  const { waitUntil } = opts;
  let building: Promise<WorkerService> | null = null;

  function service(env: WorkerEnv): Promise<WorkerService> {
    if (!building) {
      // Made here, not at import: Workers forbid random values in the global scope.
      const owner = `workers:${crypto.randomUUID().slice(0, 8)}`;
      const extra = { ...(opts.schedules ? { schedules: opts.schedules } : {}), ...(opts.workflows ? { workflows: opts.workflows } : {}) };
      building = buildWorkerService(env, { waitUntil, log, owner, ...extra }).catch((err: unknown) => {
        if (err instanceof WorkerConfigError) {
          log.error('snapflow is misconfigured', { problems: err.problems });
        } else {
          // Transient (D1 unavailable during migrate…): the next event tries again.
          building = null;
          log.error('snapflow failed to start', { error: err instanceof Error ? err.message : String(err) });
        }
        throw err;
      });
    }
    return building;
  }

  async function runCron(controller: WorkerScheduledController, env: WorkerEnv): Promise<CronSummary> {
    const { service: s, config } = await service(env);
    const at = new Date(controller.scheduledTime);
    const safety = controller.cron === SAFETY_TICK_CRON;
    // A schedule's own trigger fires the slot it stands for; the safety tick fires any
    // schedule's latest slot still unfired within the grace window (the slot records make
    // that one cheap read per schedule) and claims what is due. Both may name one slot:
    // its record lets one firing through.
    const [byCron, missed, ticked] = await Promise.allSettled([
      s.schedules.fireCron(controller.cron, at),
      safety ? s.schedules.fireMissed(at, config.schedules.graceMs) : Promise.resolve([]),
      safety ? s.engine.tick() : Promise.resolve([]),
    ]);
    const failures: string[] = [];
    if (byCron.status === 'rejected') failures.push(`schedules: ${String(byCron.reason)}`);
    if (missed.status === 'rejected') failures.push(`missed schedules: ${String(missed.reason)}`);
    if (ticked.status === 'rejected') failures.push(`tick: ${String(ticked.reason)}`);
    const fired = [byCron, missed].flatMap((r) => (r.status === 'fulfilled' ? r.value : [])).filter((f) => f.skipped === undefined);
    const summary: CronSummary = { fired, ran: ticked.status === 'fulfilled' ? ticked.value : [] };
    log.info('cron', {
      cron: controller.cron,
      scheduledTime: at.toISOString(),
      slots: fired.map((f) => `${f.schedule}@${f.slot}`),
      jobsRun: summary.ran.length,
      failures,
    });
    // Rejected so the invocation shows as failed in the Cron Events log.
    if (failures.length > 0) throw new Error(`cron ${controller.cron}: ${failures.join('; ')}`);
    return summary;
  }

  return {
    service,

    async fetch(request, env) {
      let built: WorkerService;
      try {
        built = await service(env);
      } catch (err) {
        if (err instanceof WorkerConfigError) return misconfigured(err.problems);
        throw err;
      }
      return built.service.app.fetch(request);
    },

    async queue(batch, env) {
      // A misconfigured deployment throws here: the queue retries the batch, then
      // dead-letters it; the jobs stay in D1 for when the configuration is fixed.
      const { service: s, store, queue } = await service(env);
      if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return consumeDeadLetters(batch, { store, log });
      const counts: Partial<Record<MessageOutcome, number>> = await consumeBatch(batch, { engine: s.engine, store, queue, now: Date.now, sleep, log });
      const unusual = Object.entries(counts).filter(([k]) => k !== 'ran' && k !== 'finished');
      if (unusual.length > 0) log.info('queue batch', { queue: batch.queue, messages: batch.messages.length, ...counts });
    },

    runCron,

    scheduled(controller, env, ctx) {
      ctx.waitUntil(runCron(controller, env));
      return Promise.resolve();
    },
  };
}

/** What functions/worker.ts exports: workerd treats every export of that module as a handler. */
export function workerExports(worker: WorkerHandlers) {
  return { fetch: worker.fetch, queue: worker.queue, scheduled: worker.scheduled };
}
