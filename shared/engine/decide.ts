// The engine's state machine as pure functions: given the claimed job and what the step
// did, compute the ONE patch + event committed for it. No I/O here, so every branch is
// unit-testable with a fixed clock and random source.
import type { Job, JobError, JobPatch, JobState, NewJobEvent } from '../jobs/types';
import { DEFAULT_MAX_ATTEMPTS, retryDelayMs, scaleRetry, scaleWait, waitDelayMs } from './backoff';
import { classifyWith, type ErrorClassifier, toJobError } from './classify';
import type { AnyStep, WorkflowDefinition } from './define';
import type { StepResult } from './results';

/** Engine bookkeeping kept inside the job context (hidden from steps). */
export const META_KEY = '__engine';
export const DEFAULT_CLEANUP_DEADLINE_MS = 3_600_000;

export interface EngineMeta {
  /** Consecutive waits of the current step (drives the adaptive wait). */
  waits: number;
  lastWait?: string;
  /** A mutating step has run at least once: cancel/failure must clean up. */
  mutated?: boolean;
  cleanup?: 'cancel' | 'failure';
  cleanupDeadline?: number;
}

export type StepOutcome = { kind: 'result'; result: StepResult } | { kind: 'threw'; error: unknown };

export type Next = { kind: 'dispatch' } | { kind: 'wake'; at: number } | { kind: 'none' };

export interface Decision {
  patch: JobPatch;
  event: NewJobEvent;
  next: Next;
}

export interface DecideEnv {
  job: Job;
  // any: one engine drives workflows of every params type
  workflow: WorkflowDefinition<any>;
  now: number;
  random: () => number;
  classify?: ErrorClassifier;
  requestIds?: string[];
  /** Run time of the step whose outcome is decided (absent for pre-run decisions). */
  durationMs?: number;
  /** Multiplies every retry and wait delay (tests run real workflows at 1/100 speed); default 1. */
  timeScale?: number;
}

export function readMeta(job: Job): EngineMeta {
  const m = job.context[META_KEY];
  return typeof m === 'object' && m !== null ? { waits: 0, ...(m as Partial<EngineMeta>) } : { waits: 0 };
}

export function publicContext(context: Record<string, unknown>): Record<string, unknown> {
  const { [META_KEY]: _hidden, ...rest } = context;
  return rest;
}

export function stepsOf(wf: WorkflowDefinition<any>, phase: Job['phase']): readonly AnyStep[] {
  return phase === 'cleanup' ? (wf.cleanup ?? []) : wf.steps;
}

export function currentStep(env: DecideEnv): AnyStep | undefined {
  return stepsOf(env.workflow, env.job.phase)[env.job.stepIndex];
}

function deadlineOf(job: Job, meta: EngineMeta): number | null {
  return job.phase === 'cleanup' ? (meta.cleanupDeadline ?? null) : job.deadline;
}

function event(
  env: DecideEnv,
  type: string,
  toState: JobState,
  stepName: string | null,
  message: string | null,
  data: Record<string, unknown> | null = null,
): NewJobEvent {
  return {
    type,
    fromState: 'running',
    toState,
    step: stepName,
    attempt: env.job.attempt,
    message,
    requestIds: env.requestIds ?? [],
    // durationMs: exact step run time for the step-duration histogram (metrics read data.durationMs)
    data: { phase: env.job.phase, stepIndex: env.job.stepIndex, ...(env.durationMs !== undefined ? { durationMs: env.durationMs } : {}), ...(data ?? {}) },
    at: env.now,
  };
}

function enterCleanup(env: DecideEnv, reason: 'cancel' | 'failure'): JobPatch {
  const cleanup = env.workflow.cleanup ?? [];
  const meta: EngineMeta = {
    waits: 0,
    mutated: true,
    cleanup: reason,
    cleanupDeadline: env.now + (env.workflow.cleanupDeadlineMs ?? DEFAULT_CLEANUP_DEADLINE_MS),
  };
  return { state: 'queued', phase: 'cleanup', stepIndex: 0, step: cleanup[0]?.name ?? null, attempt: 0, runAfter: env.now, context: { [META_KEY]: meta } };
}

/** Whether stopping `job` now must run cleanup (used by cancel() for jobs it holds no lease on). */
export function cancelNeedsCleanup(job: Job, workflow: WorkflowDefinition<any>): boolean {
  const step = stepsOf(workflow, job.phase)[job.stepIndex];
  return job.phase === 'cleanup' || needsCleanup({ job, workflow, now: 0, random: Math.random }, step, job.attempt > 1 || readMeta(job).waits > 0);
}

function needsCleanup(env: DecideEnv, step: AnyStep | undefined, stepRan: boolean): boolean {
  if ((env.workflow.cleanup ?? []).length === 0) return false;
  return readMeta(env.job).mutated === true || (step?.mutating === true && stepRan);
}

/** The step (or a pre-run check) failed for good. */
export function failure(env: DecideEnv, step: AnyStep | undefined, error: JobError, message: string, stepRan = true): Decision {
  const name = step?.name ?? env.job.step;
  const err: JobError = { ...error, step: error.step ?? name ?? undefined };
  if (env.job.phase === 'run') {
    if (needsCleanup(env, step, stepRan)) {
      return {
        patch: { ...enterCleanup(env, 'failure'), error: err },
        event: event(env, 'step.failed', 'queued', name, message, { error: err, cleanup: true }),
        next: { kind: 'dispatch' },
      };
    }
    return { patch: { state: 'failed', error: err }, event: event(env, 'step.failed', 'failed', name, message, { error: err }), next: { kind: 'none' } };
  }
  // A cleanup step failed: after a failure keep the original error; after a cancel the
  // job could not be unwound, which is itself the failure to report.
  const meta = readMeta(env.job);
  const patch: JobPatch = { state: 'failed' };
  if (meta.cleanup !== 'failure' || env.job.error === null) {
    patch.error = { ...err, code: 'cleanup_failed', message: `cleanup step "${name}" failed: ${err.message}` };
  }
  return { patch, event: event(env, 'cleanup.failed', 'failed', name, message, { error: err }), next: { kind: 'none' } };
}

/** Checks made after the claim and before running the step; null = go ahead. */
export function decideBeforeRun(env: DecideEnv): Decision | null {
  const { job, now } = env;
  const step = currentStep(env);
  const meta = readMeta(job);
  if (job.phase === 'run' && job.cancelRequested) {
    if (needsCleanup(env, step, job.attempt > 1)) {
      return {
        patch: enterCleanup(env, 'cancel'),
        event: event(env, 'cancel.cleanup', 'queued', step?.name ?? null, 'cancelled: running cleanup'),
        next: { kind: 'dispatch' },
      };
    }
    return {
      patch: { state: 'cancelled' },
      event: event(env, 'cancelled', 'cancelled', step?.name ?? null, 'cancelled before the next step'),
      next: { kind: 'none' },
    };
  }
  if (step === undefined) {
    // The deployed workflow no longer has this step (code changed under a live job).
    return failure(
      env,
      undefined,
      { code: 'workflow_changed', message: `workflow "${job.kind}" has no ${job.phase} step #${job.stepIndex}` },
      'unknown step',
      false,
    );
  }
  const deadline = deadlineOf(job, meta);
  if (deadline !== null && now >= deadline) {
    const why = meta.lastWait !== undefined ? ` while waiting for ${meta.lastWait}` : '';
    const error: JobError = { code: 'deadline_exceeded', message: `deadline exceeded at step "${step.name}"${why}`, step: step.name };
    return failure(env, step, error, error.message, job.attempt > 1 || meta.waits > 0);
  }
  const maxAttempts = step.retry.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (job.attempt > maxAttempts) {
    // Only reachable through reclaims: the step keeps dying without committing anything.
    const error: JobError = { code: 'attempts_exhausted', message: `step "${step.name}" started ${job.attempt} times without finishing`, step: step.name };
    return failure(env, step, error, error.message);
  }
  return null;
}

function advance(env: DecideEnv, step: AnyStep, patch: Record<string, unknown> | undefined): Decision {
  const { job, workflow, now } = env;
  const meta = readMeta(job);
  const nextMeta: EngineMeta = { ...meta, waits: 0, mutated: meta.mutated === true || step.mutating === true };
  delete nextMeta.lastWait;
  const contextPatch = { ...publicContext(patch ?? {}), [META_KEY]: nextMeta };
  const steps = stepsOf(workflow, job.phase);
  const merged = publicContext({ ...job.context, ...contextPatch });
  // Steps with nothing to do for this job are passed over here, without a claim each.
  const skipped: string[] = [];
  let nextIndex = job.stepIndex + 1;
  while (steps[nextIndex]?.skip?.(job.params, merged)) skipped.push(steps[nextIndex++]!.name);
  // The last step is claimed even when it has nothing to do: a claim is where a cancel
  // requested during this step is seen, and the job must not end as succeeded past it.
  if (steps[nextIndex] === undefined && skipped.length > 0) {
    skipped.pop();
    nextIndex--;
  }
  const doneMsg = skipped.length > 0 ? `${step.name} done; skipped ${skipped.join(', ')}` : `${step.name} done`;
  const data = skipped.length > 0 ? { skipped } : undefined;
  const nextStep = steps[nextIndex];
  if (nextStep !== undefined) {
    return {
      patch: { state: 'queued', step: nextStep.name, stepIndex: nextIndex, attempt: 0, runAfter: now, context: contextPatch, progress: null },
      event: event(env, 'step.done', 'queued', step.name, doneMsg, data),
      next: { kind: 'dispatch' },
    };
  }
  if (job.phase === 'run') {
    const result = workflow.result ? workflow.result(merged, job.params) : merged;
    return {
      patch: { state: 'succeeded', context: contextPatch, result, progress: null },
      event: event(env, 'step.done', 'succeeded', step.name, `${doneMsg}; job succeeded`, data),
      next: { kind: 'none' },
    };
  }
  const end: JobState = meta.cleanup === 'failure' ? 'failed' : 'cancelled';
  return {
    patch: { state: end, context: contextPatch },
    event: event(env, 'cleanup.done', end, step.name, `cleanup done; job ${end}`),
    next: { kind: 'none' },
  };
}

function waitFor(env: DecideEnv, step: AnyStep, until: number | undefined, after: number | undefined, reason: string): Decision {
  const { job, now } = env;
  const meta = readMeta(job);
  const streak = meta.waits + 1;
  // An `until` already past falls back to the adaptive wait rather than spinning.
  const runAfter =
    until !== undefined && until > now
      ? until
      : now + waitDelayMs(scaleWait(step.wait, env.timeScale ?? 1), streak, after === undefined ? undefined : after * (env.timeScale ?? 1));
  const deadline = deadlineOf(job, meta);
  if (deadline !== null && runAfter >= deadline) {
    const error: JobError = { code: 'deadline_exceeded', message: `deadline exceeded at step "${step.name}" while waiting for ${reason}`, step: step.name };
    return failure(env, step, error, error.message);
  }
  const nextMeta: EngineMeta = { ...meta, waits: streak, lastWait: reason, mutated: meta.mutated === true || step.mutating === true };
  return {
    patch: { state: 'waiting', runAfter, context: { [META_KEY]: nextMeta } },
    event: event(env, 'step.wait', 'waiting', step.name, reason, { runAfter, delayMs: runAfter - now, streak }),
    next: { kind: 'wake', at: runAfter },
  };
}

function retryLater(env: DecideEnv, step: AnyStep, error: JobError, floorMs: number): Decision {
  const { job, now } = env;
  const maxAttempts = step.retry.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (job.attempt >= maxAttempts) {
    return failure(env, step, error, `${step.name} gave up after ${job.attempt} attempts: ${error.message}`);
  }
  const delayMs = retryDelayMs(scaleRetry(step.retry, env.timeScale ?? 1), job.attempt, env.random, floorMs);
  const runAfter = now + delayMs;
  const meta = readMeta(job);
  const deadline = deadlineOf(job, meta);
  if (deadline !== null && runAfter >= deadline) {
    return failure(env, step, error, `${step.name}: no time left before the deadline to retry: ${error.message}`);
  }
  const nextMeta: EngineMeta = { ...meta, waits: 0, mutated: meta.mutated === true || step.mutating === true };
  return {
    patch: { state: 'waiting', runAfter, attempt: job.attempt + 1, context: { [META_KEY]: nextMeta } },
    event: event(env, 'step.retry', 'waiting', step.name, error.message, { runAfter, delayMs, error }),
    next: { kind: 'wake', at: runAfter },
  };
}

/** What to commit for the step's outcome. */
export function decideAfterRun(env: DecideEnv, step: AnyStep, outcome: StepOutcome): Decision {
  if (outcome.kind === 'threw') {
    const d = classifyWith(env.classify, outcome.error);
    const error = { ...d.error, step: step.name };
    return d.action === 'fail' ? failure(env, step, error, error.message) : retryLater(env, step, error, d.afterMs ?? 0);
  }
  const r = outcome.result;
  switch (r.kind) {
    case 'done':
      return advance(env, step, r.patch);
    case 'wait':
      return waitFor(env, step, r.until, r.after, r.reason);
    case 'retry': {
      // The step chose to retry; the classifier only contributes a Retry-After floor.
      const hint = classifyWith(env.classify, r.error);
      const floor = Math.max(r.afterMs ?? 0, hint.action === 'retry' ? (hint.afterMs ?? 0) : 0);
      return retryLater(env, step, { ...toJobError(r.error), step: step.name }, floor);
    }
    case 'fail': {
      const error = { ...toJobError(r.error, 'failed'), step: step.name };
      return failure(env, step, error, error.message);
    }
  }
}
