import type { RunnerPhase, Task } from '../shared/runner/protocol';
import type { RunnerLogger } from './logger';
import type { RunnerServiceClient } from './service-client';
import { TaskStop } from './task-error';

// Keeps a task's lease: a heartbeat every third of the lease's TTL (and one at each phase
// change, so the job shows the phase at once) with the phase and its byte progress. The
// service answers `cancel: true` when the job was cancelled, or 409 when another runner
// holds the lease now; either stops the task. A service that cannot be reached is retried
// at the next beat; once a whole TTL has passed without an accepted heartbeat the lease is
// gone for certain, and the task stops as if it had been told so.

export interface Progress {
  phase: RunnerPhase;
  bytesDone: number;
  bytesTotal: number;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private ttlMs: number;
  private lastAccepted: number;

  constructor(
    private readonly task: Task,
    private readonly service: RunnerServiceClient,
    private readonly progress: () => Progress,
    private readonly onStop: (stop: TaskStop) => void,
    private readonly log: RunnerLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.ttlMs = task.lease.ttlSeconds * 1000;
    this.lastAccepted = now();
  }

  start(): void {
    this.schedule();
  }

  /** A heartbeat now (phase change), unless one is already on its way. */
  poke(): void {
    if (!this.stopped && !this.inFlight) void this.beat();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.beat().finally(() => this.schedule());
      },
      Math.max(1000, Math.floor(this.ttlMs / 3)),
    );
  }

  private beat(): Promise<void> {
    const run = this.send().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  private async send(): Promise<void> {
    const p = this.progress();
    try {
      const answer = await this.service.heartbeat(this.task.id, { leaseToken: this.task.lease.token, ...p });
      if (this.stopped) return;
      if (!answer.ok) {
        this.onStop(new TaskStop('lease_lost', 'the service says another runner holds the lease now'));
        return;
      }
      this.lastAccepted = this.now();
      this.ttlMs = answer.value.lease.ttlSeconds * 1000;
      if (answer.value.cancel) this.onStop(new TaskStop('cancelled', 'the job was cancelled'));
    } catch (err) {
      if (this.stopped) return;
      const silentMs = this.now() - this.lastAccepted;
      this.log.warn('heartbeat failed', { taskId: this.task.id, error: err instanceof Error ? err.message : String(err), silentMs });
      if (silentMs >= this.ttlMs) {
        this.onStop(new TaskStop('lease_lost', `no heartbeat accepted for ${Math.round(silentMs / 1000)} s: the lease has expired`));
      }
    }
  }
}
