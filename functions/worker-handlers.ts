// The Workers handlers behind functions/worker.ts: the same Hono app as `fetch`, Cron
// Triggers as `scheduled`, D1 as the job table. The service is built lazily, once per
// isolate, on the first event (bindings only exist from then on). Nothing reachable from
// here may import a Node built-in (test/deploy/worker-bundle.test.ts bundles it to check).
import type { RunOutcome } from '../shared/engine/engine';
import type { FireResult } from './schedule-service';
import { createEventScopes, type EventScopes } from './worker-dispatch';
import { createWorkerLogger } from './worker-logger';
import { buildWorkerService, WorkerConfigError, type WorkerService } from './worker-service';
import type { WorkerEnv, WorkerExecutionContext, WorkerScheduledController } from './worker-types';

/** The window a Cron Trigger event covers: the minute ending at its scheduled time. */
export const CRON_WINDOW_MS = 60_000;

export interface CronSummary {
  /** One entry per schedule slot that fell in the event's minute. */
  fired: FireResult[];
  /** Steps the safety-net tick ran. */
  ran: RunOutcome[];
}

export interface WorkerHandlers {
  fetch(request: Request, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<Response>;
  /** Hands runCron to ctx.waitUntil. */
  scheduled(controller: WorkerScheduledController, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<void>;
  /** One Cron Trigger event's work; rejects when firing schedules or the tick failed. */
  runCron(controller: WorkerScheduledController, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<CronSummary>;
  /** The isolate's service, built on first use (tests reach the engine through it). */
  service(env: WorkerEnv): Promise<WorkerService>;
  readonly scopes: EventScopes;
}

export interface CreateWorkerOptions {
  /** Declared schedules; defaults to schedules/schedules.ts. */
  schedules?: readonly unknown[];
}

function misconfigured(problems: string[]): Response {
  // Problems name keys and rules, never values, so they are safe to show.
  const body = { error: { code: 'misconfigured', message: 'snapflow is misconfigured on this deployment', details: problems } };
  return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

export function createWorker(opts: CreateWorkerOptions = {}): WorkerHandlers {
  const log = createWorkerLogger();
  const scopes = createEventScopes(log);
  let building: Promise<WorkerService> | null = null;

  function service(env: WorkerEnv): Promise<WorkerService> {
    if (!building) {
      // Made here, not at import: Workers forbid random values in the global scope.
      const owner = `workers:${crypto.randomUUID().slice(0, 8)}`;
      building = buildWorkerService(env, { scopes, log, owner, ...(opts.schedules ? { schedules: opts.schedules } : {}) }).catch((err: unknown) => {
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

  function runCron(controller: WorkerScheduledController, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<CronSummary> {
    return scopes.run(ctx, async () => {
      const { service: s } = await service(env);
      const at = controller.scheduledTime;
      // Every trigger (a schedule's own cron or the minute safety tick) fires the slots of
      // the minute it stands for; a slot fired twice yields the same jobs (idempotency
      // keys), so the overlap at a schedule's minute is harmless.
      const [fired, ticked] = await Promise.allSettled([
        s.schedules.fireDue(new Date(at - CRON_WINDOW_MS), new Date(at)),
        // Safety net: waits that fell due, dispatches lost with an isolate, expired leases.
        s.engine.tick(),
      ]);
      const failures: string[] = [];
      if (fired.status === 'rejected') failures.push(`schedules: ${String(fired.reason)}`);
      if (ticked.status === 'rejected') failures.push(`tick: ${String(ticked.reason)}`);
      const summary: CronSummary = {
        fired: fired.status === 'fulfilled' ? fired.value : [],
        ran: ticked.status === 'fulfilled' ? ticked.value : [],
      };
      log.info('cron', {
        cron: controller.cron,
        scheduledTime: new Date(at).toISOString(),
        slots: summary.fired.length,
        jobsRun: summary.ran.length,
        failures,
      });
      // Rejected so the invocation shows as failed in the Cron Events log.
      if (failures.length > 0) throw new Error(`cron ${controller.cron}: ${failures.join('; ')}`);
      return summary;
    });
  }

  return {
    scopes,
    service,

    fetch(request, env, ctx) {
      return scopes.run(ctx, async () => {
        let built: WorkerService;
        try {
          built = await service(env);
        } catch (err) {
          if (err instanceof WorkerConfigError) return misconfigured(err.problems);
          throw err;
        }
        return built.service.app.fetch(request);
      });
    },

    runCron,

    scheduled(controller, env, ctx) {
      ctx.waitUntil(runCron(controller, env, ctx));
      return Promise.resolve();
    },
  };
}
