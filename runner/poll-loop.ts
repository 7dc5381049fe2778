import { setTimeout as sleep } from 'node:timers/promises';
import type { RunnerConfig } from './config';
import { runTask, type TaskDeps, type TaskOutcome } from './run-task';
import { InvalidTaskError } from './service-client';

// `concurrency` workers, each long-polling `claim` and running what it gets. An unreachable
// service is retried with a growing pause; stop() ends the long polls at once and lets each
// running task stop, clean up and report (run-task.ts) before it resolves.

const MIN_POLL_MS = 1000;

export class PollLoop {
  private readonly stopping = new AbortController();
  private workers: Array<Promise<void>> = [];

  constructor(
    private readonly config: Pick<RunnerConfig, 'runnerId' | 'concurrency' | 'claimWaitSeconds'>,
    private readonly deps: TaskDeps,
    private readonly onTaskEnd: (outcome: TaskOutcome) => void = () => undefined,
  ) {}

  start(): void {
    for (let i = 0; i < this.config.concurrency; i++) this.workers.push(this.worker(i));
  }

  /** Resolves once every worker has finished (after stop()). */
  async done(): Promise<void> {
    await Promise.all(this.workers);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.done();
  }

  private async worker(n: number): Promise<void> {
    const { service, log } = this.deps;
    const signal = this.stopping.signal;
    let pause = MIN_POLL_MS;
    while (!signal.aborted) {
      const asked = Date.now();
      let task: Awaited<ReturnType<typeof service.claim>>;
      try {
        task = await service.claim({ runner: this.config.runnerId, waitSeconds: this.config.claimWaitSeconds }, signal);
        pause = MIN_POLL_MS;
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof InvalidTaskError) await this.refuse(err);
        else log.warn('claim failed', { worker: n, error: err instanceof Error ? err.message : String(err), retryInMs: pause });
        await sleep(pause, undefined, { signal }).catch(() => undefined);
        pause = Math.min(30_000, pause * 2);
        continue;
      }
      if (!task) {
        // a service that answers an empty claim at once must not turn this into a busy loop
        const left = MIN_POLL_MS - (Date.now() - asked);
        if (left > 0) await sleep(left, undefined, { signal }).catch(() => undefined);
        continue;
      }
      try {
        this.onTaskEnd(await runTask(task, this.deps, signal));
      } catch (err) {
        log.error('task runner crashed', { worker: n, taskId: task.id, error: err instanceof Error ? err.stack : String(err) });
      }
    }
  }

  /** A task this runner cannot read is failed back (when it can be named), never run. */
  private async refuse(err: InvalidTaskError): Promise<void> {
    const { service, log } = this.deps;
    log.error('claimed a task that does not match the protocol', { taskId: err.taskId, error: err.message });
    if (!err.taskId || !err.leaseToken) return;
    await service
      .fail(err.taskId, { leaseToken: err.leaseToken, code: 'invalid_task', message: err.message, retryable: false, phase: 'download' })
      .catch((e: unknown) => log.error('could not fail the invalid task', { taskId: err.taskId, error: String(e) }));
  }
}
