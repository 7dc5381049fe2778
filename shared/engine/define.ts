// defineStep / defineWorkflow: the declarations a workflow file is written in. A
// workflow reads like the operator's procedure: an ordered list of steps, each doing at
// most one mutating call, plus the cleanup steps that undo what the job created.
import type { z } from 'zod';
import type { Job, JobProgress } from '../jobs/types';
import type { RetryPolicy, WaitPolicy } from './backoff';
import type { StepResult } from './results';

export interface StepLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface StepContext<I = unknown> {
  /** Snapshot of the job row as claimed (frozen). */
  job: Readonly<Job>;
  /** The job's params as validated at submit. */
  params: unknown;
  /** `input` schema applied to { ...params, ...context }; undefined without a schema. */
  input: I;
  /** Accumulated done() patches of earlier steps (frozen copy). */
  context: Readonly<Record<string, unknown>>;
  /** 1 on the first run of this step, bumped on retry and on reclaim after a crash. */
  attempt: number;
  /** Aborted on the step's timeout or when the lease is lost. Pass it to every fetch. */
  signal: AbortSignal;
  now(): number;
  /** `ms` times the engine's timeScale: for a step's own delay arithmetic (first-check-after and the like). */
  scaled(ms: number): number;
  /** Extends the lease and records progress; false when the lease is gone. */
  heartbeat(progress?: JobProgress): Promise<boolean>;
  /** Collected into the committed event's requestIds. */
  recordRequestId(id: string | null | undefined): void;
  log: StepLogger;
}

export interface StepDefinition<I = unknown> {
  name: string;
  input?: z.ZodType<I>;
  retry: RetryPolicy;
  wait?: WaitPolicy;
  /** ms; the engine aborts ctx.signal and counts it as a retryable timeout. */
  timeout: number;
  /** Creates/changes something in the cloud: once it ran, a cancel or failure runs cleanup. */
  mutating?: boolean;
  /**
   * Whether the step has nothing to do for this job, decided from the params and the context
   * alone (no I/O): the engine passes over it in the commit of the step before, without a
   * claim of its own, and says so in that step's event. run() must give the same answer.
   */
  skip?(params: unknown, context: Record<string, unknown>): boolean;
  run(ctx: StepContext<I>): Promise<StepResult> | StepResult;
}

// Steps are stored heterogeneously in a workflow; their input type is checked at the
// definition site and erased here.
export type AnyStep = StepDefinition<any>;

/** A server a job acts on, for token target checks (shared/auth: cloud/project/server patterns). */
export interface JobTarget {
  cloud: string;
  project?: string | null;
  server: string;
}

export interface WorkflowDefinition<P = unknown> {
  kind: string;
  params: z.ZodType<P>;
  steps: readonly AnyStep[];
  /** Run (phase 'cleanup') when the job is cancelled or fails after a mutating step ran. */
  cleanup?: readonly AnyStep[];
  /** At most one unfinished job per key runs at a time (e.g. `server:<id>`). */
  lockKey?(params: P): string | null | undefined;
  concurrency?(params: P): { key: string; limit: number } | null | undefined;
  /** Job deadline, from submission. */
  deadlineMs?: number;
  /** How long cleanup may take once it starts (default 1 h): it runs even past the job deadline. */
  cleanupDeadlineMs?: number;
  /** Step names a dry run reports (default: every step). */
  plan?(params: P): string[];
  /** This kind's v1 request body (strict, with `kind`): the API's contract is the union of these. */
  request?: z.ZodType;
  /** A dry run answers the plan at once ('plan', default), or runs as a read-only job whose result says what it would do ('job'). */
  dryRun?: 'plan' | 'job';
  /** What a token must be allowed to target to submit such a job, or to see and cancel it (default: cloud/server). */
  targets?(params: P): JobTarget[];
  /** The job's `result` on success (default: the accumulated context). */
  result?(context: Record<string, unknown>, params: P): Record<string, unknown>;
}

function assertPositive(what: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new TypeError(`${what} must be a positive number, got ${v}`);
}

export function defineStep<I = unknown>(def: StepDefinition<I>): StepDefinition<I> {
  if (!/^[a-z][a-zA-Z0-9_.-]*$/.test(def.name)) throw new TypeError(`invalid step name "${def.name}"`);
  assertPositive(`${def.name}.timeout`, def.timeout);
  assertPositive(`${def.name}.retry.baseMs`, def.retry.baseMs, true);
  assertPositive(`${def.name}.retry.maxMs`, def.retry.maxMs, true);
  if (!(def.retry.factor >= 1)) throw new TypeError(`${def.name}.retry.factor must be >= 1`);
  if (def.retry.maxAttempts !== undefined && !(def.retry.maxAttempts >= 1)) {
    throw new TypeError(`${def.name}.retry.maxAttempts must be >= 1`);
  }
  return Object.freeze({ ...def });
}

export function defineWorkflow<P>(def: WorkflowDefinition<P>): WorkflowDefinition<P> {
  if (def.steps.length === 0) throw new TypeError(`workflow "${def.kind}" has no steps`);
  const seen = new Set<string>();
  for (const s of [...def.steps, ...(def.cleanup ?? [])]) {
    // Events and job.step name steps; a duplicate would make them ambiguous.
    if (seen.has(s.name)) throw new TypeError(`workflow "${def.kind}": duplicate step name "${s.name}"`);
    seen.add(s.name);
  }
  if (def.deadlineMs !== undefined) assertPositive(`${def.kind}.deadlineMs`, def.deadlineMs);
  return Object.freeze({ ...def });
}

/** Step names a dry run of `params` would execute. */
export function planOf<P>(wf: WorkflowDefinition<P>, params: P): string[] {
  return wf.plan ? wf.plan(params) : wf.steps.map((s) => s.name);
}
