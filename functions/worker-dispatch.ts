// Immediate chaining on Workers: the next step of a job runs in `ctx.waitUntil`, so the
// runtime keeps the event alive after the response is sent. The service (and its engine)
// is built once per isolate, but ctx belongs to one event, and several events may run
// in one isolate at once. Without AsyncLocalStorage (a Node built-in, not allowed here)
// there is no telling which event's code called dispatch, so the holder below tracks
// every OPEN event (handler not settled, or a run handed to it not settled) and hands
// each run to all of them:
//  - the event whose code dispatched is open at that moment (its handler or one of its
//    runs is what is calling), so it is among them and stays alive until the run settles;
//    its I/O belongs to it, so it must be the one kept alive;
//  - other open events merely wait for the run too (bounded by step timeouts and the
//    runtime's own waitUntil limit); that is the price of not knowing, and only paid
//    while events overlap.
// A run dispatched when no event is open (should not happen) still starts; if the
// isolate goes away under it, its lease expires and the next cron tick resumes the job.

import type { StepLogger } from '../shared/engine/define';
import type { Dispatch } from '../shared/engine/dispatcher';
import type { WorkerExecutionContext } from './worker-types';

export interface EventScopes {
  /** Runs one event's work with `ctx` open until it and every run handed to ctx settle. */
  run<T>(ctx: WorkerExecutionContext, work: () => Promise<T>): Promise<T>;
  /** The engine's dispatch: starts `run` now and hands it to every open event's waitUntil. */
  dispatch: Dispatch;
  /** Number of open events (tests). */
  readonly openCount: number;
}

export function createEventScopes(log?: Pick<StepLogger, 'warn'>): EventScopes {
  // ctx → number of unsettled things (the handler itself + runs handed to it)
  const open = new Map<WorkerExecutionContext, number>();

  const hold = (ctx: WorkerExecutionContext) => open.set(ctx, (open.get(ctx) ?? 0) + 1);
  const release = (ctx: WorkerExecutionContext) => {
    const n = (open.get(ctx) ?? 1) - 1;
    if (n <= 0) open.delete(ctx);
    else open.set(ctx, n);
  };

  return {
    async run(ctx, work) {
      hold(ctx);
      try {
        return await work();
      } finally {
        release(ctx);
      }
    },

    dispatch(jobId, run) {
      const holders = [...open.keys()];
      if (holders.length === 0) log?.warn('step dispatched outside any event; the cron tick resumes it if it is lost', { jobId });
      for (const ctx of holders) hold(ctx);
      const p = Promise.resolve()
        .then(run)
        .catch(() => {
          // The engine's dispatcher already logs a failed run; its lease expiry is the recovery.
        })
        .finally(() => {
          for (const ctx of holders) release(ctx);
        });
      for (const ctx of holders) ctx.waitUntil(p);
    },

    get openCount() {
      return open.size;
    },
  };
}
