// Immediate chaining and in-process wake-ups, with bookkeeping so drain()/close() know
// when the engine is idle. Uses only globals that exist in Node and in Workers.
import type { StepLogger } from './define';

/** Start `run` soon, outside the caller's stack (Node: setImmediate; Workers: ctx.waitUntil(run())). */
export type Dispatch = (jobId: string, run: () => Promise<unknown>) => void;

type Timer = ReturnType<typeof setTimeout>;

export interface Dispatcher {
  dispatch(jobId: string, run: () => Promise<unknown>): void;
  later(jobId: string, delayMs: number, run: () => Promise<unknown>): void;
  track<T>(p: Promise<T>): Promise<T | null>;
  /** Nothing scheduled or running. */
  drain(timeoutMs?: number): Promise<void>;
  /** Nothing running (scheduled runs are ignored: after stop() they are no-ops). */
  settle(timeoutMs?: number): Promise<void>;
  stop(): void;
  /** After stop(): nothing new may start. */
  stopped(): boolean;
}

export const defaultDispatch: Dispatch = (_jobId, run) => {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  // setImmediate lets I/O in between chained steps; Workers have no setImmediate.
  if (typeof g.setImmediate === 'function') g.setImmediate(() => void run());
  else queueMicrotask(() => void run());
};

export function createDispatcher(custom: Dispatch | undefined, log: StepLogger): Dispatcher {
  const dispatchFn = custom ?? defaultDispatch;
  // scheduled: handed to dispatch, not started yet; running: started, not settled.
  // drain() waits for both; after stop() a scheduled run is a no-op, so close() only
  // needs the running ones (a custom dispatch may never call what it was given).
  let scheduled = 0;
  let running = 0;
  let stopped = false;
  const timers = new Set<Timer>();
  let idle: { includeScheduled: boolean; resolve: () => void }[] = [];

  function notify(): void {
    idle = idle.filter((w) => {
      const quiet = running === 0 && (!w.includeScheduled || scheduled === 0);
      if (quiet) w.resolve();
      return !quiet;
    });
  }

  function guarded(jobId: string, run: () => Promise<unknown>): () => Promise<unknown> {
    scheduled++;
    let ran = false;
    return async () => {
      if (ran) return;
      ran = true;
      scheduled--;
      running++;
      try {
        if (!stopped) await run();
      } catch (err) {
        // The lease expires and the cron tick resumes the job; nothing is lost.
        log.error('dispatched step failed', { jobId, error: err instanceof Error ? err.message : String(err) });
      } finally {
        running--;
        notify();
      }
    };
  }

  function waitQuiet(includeScheduled: boolean, timeoutMs: number): Promise<void> {
    if (running === 0 && (!includeScheduled || scheduled === 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        idle = idle.filter((w) => w.resolve !== done);
        reject(new Error(`engine drain timed out after ${timeoutMs} ms (${running} running, ${scheduled} scheduled)`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        resolve();
      };
      idle.push({ includeScheduled, resolve: done });
    });
  }

  return {
    dispatch(jobId, run) {
      if (stopped) return;
      const g = guarded(jobId, run);
      try {
        dispatchFn(jobId, g);
      } catch (err) {
        log.error('dispatch hook threw', { jobId, error: String(err) });
        void g();
      }
    },
    later(jobId, delayMs, run) {
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        this.dispatch(jobId, run);
      }, delayMs);
      // A pending wake-up must not keep a Node process alive.
      (t as { unref?: () => void }).unref?.();
      timers.add(t);
    },
    track(p) {
      running++;
      return p
        .then(
          (v) => v,
          (err: unknown) => {
            log.error('step run failed', { error: err instanceof Error ? err.message : String(err) });
            return null;
          },
        )
        .finally(() => {
          running--;
          notify();
        });
    },
    drain: (timeoutMs = 30_000) => waitQuiet(true, timeoutMs),
    settle: (timeoutMs = 30_000) => waitQuiet(false, timeoutMs),
    stopped: () => stopped,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
