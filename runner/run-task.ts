import { setTimeout as sleep } from 'node:timers/promises';
import type { RunnerPhase, Task } from '../shared/runner/protocol';
import { Heartbeat, type Progress } from './heartbeat';
import { type PipelineDeps, type PipelineResult, runPipeline, type Tracker } from './pipeline';
import type { Scratch } from './scratch';
import type { LeaseAnswer, RunnerServiceClient } from './service-client';
import { classify, TaskError, TaskStop } from './task-error';

// One claimed task around its pipeline: the lease kept by heartbeats, one AbortSignal for
// every stage (cancel, lease lost, SIGTERM), the scratch directory removed on every path,
// then one report. A lost lease is never reported (the task is someone else's now); a
// cancel is failed as `cancelled`; SIGTERM as `runner_stopping`, retryable, which releases
// the lease at once instead of after its TTL.

export interface TaskDeps extends PipelineDeps {
  service: RunnerServiceClient;
  scratch: Scratch;
}

export type TaskOutcome =
  | { outcome: 'completed'; imageId: string; reused: boolean }
  | { outcome: 'failed'; code: string; retryable: boolean }
  | { outcome: 'lease_lost' };

export async function runTask(task: Task, deps: TaskDeps, stopping: AbortSignal): Promise<TaskOutcome> {
  const { log } = deps;
  const base = { taskId: task.id, jobId: task.jobId, attempt: task.attempt };
  const ctl = new AbortController();
  const stop = (s: TaskStop) => {
    if (!ctl.signal.aborted) {
      log.info('task stopping', { ...base, why: s.why, reason: s.message });
      ctl.abort(s);
    }
  };
  const onStopping = () => stop(new TaskStop('runner_stopping', 'the runner is stopping'));
  stopping.addEventListener('abort', onStopping, { once: true });

  const progress: Progress = { phase: 'download', bytesDone: 0, bytesTotal: 0 };
  const phaseMs: Partial<Record<RunnerPhase, number>> = {};
  let phaseStart = Date.now();
  const heartbeat = new Heartbeat(task, deps.service, () => ({ ...progress }), stop, log);
  const tracker: Tracker = {
    phase(phase, bytesTotal = 0) {
      const now = Date.now();
      phaseMs[progress.phase] = (phaseMs[progress.phase] ?? 0) + (now - phaseStart);
      phaseStart = now;
      if (phase !== progress.phase) log.info('phase', { ...base, phase });
      Object.assign(progress, { phase, bytesDone: 0, bytesTotal });
      heartbeat.poke();
    },
    bytes(done) {
      progress.bytesDone = done;
    },
  };

  log.info('task claimed', { ...base, mode: task.clean.mode, sourceImage: task.source.imageId, bytes: task.source.size });
  if (stopping.aborted) onStopping();
  heartbeat.start();
  let dir: string | undefined;
  let result: PipelineResult | undefined;
  let failure: unknown;
  try {
    dir = await deps.scratch.taskDir(task.id, task.attempt);
    result = await runPipeline(task, dir, ctl.signal, tracker, deps);
  } catch (err) {
    failure = err;
  } finally {
    stopping.removeEventListener('abort', onStopping);
    await heartbeat.stop();
    if (dir) await deps.scratch.remove(dir).catch((err: unknown) => log.error('could not remove the task directory', { ...base, dir, error: String(err) }));
  }
  phaseMs[progress.phase] = (phaseMs[progress.phase] ?? 0) + (Date.now() - phaseStart);
  const why = ctl.signal.aborted ? (ctl.signal.reason as TaskStop).why : undefined;

  if (why === 'lease_lost') {
    log.warn('lease lost: the task is left to the runner that holds it now', { ...base, phaseMs });
    return { outcome: 'lease_lost' };
  }
  const fast = stopping.aborted;
  if (result) {
    const answer = await report(
      () =>
        deps.service.complete(task.id, {
          leaseToken: task.lease.token,
          imageId: result.imageId,
          bytes: result.bytes,
          verified: result.verified,
          warnings: result.warnings,
        }),
      fast,
      deps,
      base,
    );
    if (answer === 'lease_lost') return { outcome: 'lease_lost' };
    log.info('task completed', { ...base, imageId: result.imageId, reused: result.reused, warnings: result.warnings, phaseMs });
    return { outcome: 'completed', imageId: result.imageId, reused: result.reused };
  }
  let err: TaskError;
  if (why === 'cancelled') err = new TaskError('cancelled', 'the job was cancelled', false);
  else if (why === 'runner_stopping') err = new TaskError('runner_stopping', 'the runner was stopped during the task', true);
  else err = classify(failure, progress.phase);
  const answer = await report(
    () =>
      deps.service.fail(task.id, {
        leaseToken: task.lease.token,
        code: err.code,
        message: err.message.slice(0, 4000),
        retryable: err.retryable,
        phase: progress.phase,
      }),
    fast,
    deps,
    base,
  );
  if (answer === 'lease_lost') return { outcome: 'lease_lost' };
  const level = why ? 'info' : 'warn';
  log[level]('task failed', { ...base, code: err.code, retryable: err.retryable, phase: progress.phase, message: err.message, phaseMs });
  return { outcome: 'failed', code: err.code, retryable: err.retryable };
}

/**
 * Sends the report, retrying a service that cannot be reached a few times (fewer when the
 * runner is stopping, so the release fits in systemd's stop timeout). If it never gets
 * through, the lease expires and another attempt finds the verified image (upload.ts).
 */
async function report(
  send: () => Promise<LeaseAnswer<null>>,
  fast: boolean,
  deps: TaskDeps,
  base: Record<string, unknown>,
): Promise<'ok' | 'lease_lost' | 'unsent'> {
  const delays = fast ? [500, 1000] : [1000, 2000, 4000, 8000];
  for (let i = 0; ; i++) {
    try {
      const answer = await send();
      if (answer.ok) return 'ok';
      deps.log.warn('the service refused the report: the lease was taken over', base);
      return 'lease_lost';
    } catch (err) {
      const retryable = (err as { retryable?: boolean }).retryable !== false;
      if (!retryable || i >= delays.length) {
        deps.log.error('could not report the task to the service', { ...base, error: err instanceof Error ? err.message : String(err) });
        return 'unsent';
      }
      await sleep(delays[i]!);
    }
  }
}
