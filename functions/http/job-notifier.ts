// In-process wake-ups for long-polls. The entry points pass `notifier.onEvent` to
// createEngine({ onEvent }); a waiting request then re-reads the job as soon as this
// process commits anything for it. Jobs finished by another instance are caught by the
// wait route's periodic store re-check, so a missed wake-up only costs latency.

export type WakeReason = 'event' | 'timeout' | 'aborted';

/** A subscription to one job's events: opened BEFORE reading the job, so no event is missed in between. */
export interface JobWatch {
  /** 'event' at once if an event arrived since the last call; else waits up to `ms`. Never rejects. */
  next(ms: number, signal?: AbortSignal): Promise<WakeReason>;
  close(): void;
}

export interface JobNotifier {
  /** Feed from the engine: anything with a jobId (the engine's EngineEvent). */
  onEvent(e: { jobId: string }): void;
  watch(jobId: string): JobWatch;
  /** Open watches (tests: a finished or aborted wait leaves none behind). */
  watching(): number;
}

export function createJobNotifier(): JobNotifier {
  const watches = new Map<string, Set<{ poke(): void }>>();
  let open = 0;

  return {
    onEvent(e) {
      const set = watches.get(e.jobId);
      if (set) for (const w of [...set]) w.poke();
    },

    watching: () => open,

    watch(jobId) {
      let pending = false;
      let wake: ((why: WakeReason) => void) | null = null;
      let closed = false;
      const entry = {
        poke() {
          if (wake) wake('event');
          else pending = true;
        },
      };
      let set = watches.get(jobId);
      if (!set) {
        set = new Set();
        watches.set(jobId, set);
      }
      set.add(entry);
      open++;

      return {
        next(ms, signal) {
          if (pending) {
            pending = false;
            return Promise.resolve('event');
          }
          if (closed || signal?.aborted) return Promise.resolve('aborted');
          return new Promise<WakeReason>((resolve) => {
            const onAbort = () => finish('aborted');
            const timer = setTimeout(() => finish('timeout'), Math.max(0, ms));
            function finish(why: WakeReason) {
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              wake = null;
              resolve(why);
            }
            wake = finish;
            signal?.addEventListener('abort', onAbort, { once: true });
          });
        },
        close() {
          if (closed) return;
          closed = true;
          wake?.('aborted');
          const s = watches.get(jobId);
          s?.delete(entry);
          if (s && s.size === 0) watches.delete(jobId);
          open--;
        },
      };
    },
  };
}
