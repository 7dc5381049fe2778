// The job table contract shared by the stores (SQLite, PostgreSQL, D1) and the step
// engine. The engine knows nothing of SQL; the stores know nothing of OpenStack.
// All timestamps are epoch milliseconds (numbers) so the three dialects agree.
import type { NewRunnerTask, RunnerTask, RunnerTaskPatch, RunnerTaskScope, RunnerTaskState } from './runner-task';

export const JOB_STATES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

/** Serialisable error recorded on a job (never contains secrets). */
export interface JobError {
  code: string;
  message: string;
  step?: string;
  requestId?: string;
  service?: string;
  status?: number;
}

export interface JobProgress {
  phase: string;
  done?: number;
  total?: number;
}

export interface Job {
  id: string;
  /** Monotonic insertion order; used for FIFO per lock key and for cursors. */
  seq: number;
  kind: string;
  state: JobState;
  /** Name of the current step (null before the first claim of a fresh job is fine). */
  step: string | null;
  stepIndex: number;
  /** 'run' for the workflow's steps, 'cleanup' once it is unwinding after cancel/failure. */
  phase: 'run' | 'cleanup';
  params: unknown;
  context: Record<string, unknown>;
  result: Record<string, unknown> | null;
  /** Attempt number of the current step (1 on first claim, bumped on retry/reclaim). */
  attempt: number;
  runAfter: number;
  deadline: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  idempotencyKey: string | null;
  /** At most one unfinished job per lock key runs at a time (FIFO by seq). */
  lockKey: string | null;
  /**
   * Another spelling of the lock key's target, for finding its jobs by either (a server's
   * name when the key holds its id). Never a lock itself.
   */
  lockAlias: string | null;
  /** Jobs sharing a concurrency key are limited to concurrencyLimit started at once. */
  concurrencyKey: string | null;
  concurrencyLimit: number | null;
  requestedBy: string | null;
  cancelRequested: boolean;
  error: JobError | null;
  progress: JobProgress | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface NewJob {
  id: string;
  kind: string;
  params: unknown;
  context?: Record<string, unknown>;
  runAfter?: number;
  deadline?: number | null;
  idempotencyKey?: string | null;
  lockKey?: string | null;
  lockAlias?: string | null;
  concurrencyKey?: string | null;
  concurrencyLimit?: number | null;
  requestedBy?: string | null;
}

/** insertUnlessLocked(): a new job, an earlier job of the same idempotency key, or the holder of the lock. */
export type InsertUnlessLockedResult = { outcome: 'created'; job: Job } | { outcome: 'replayed'; job: Job } | { outcome: 'busy'; holder: Job };

export interface RevokeLeasesOptions {
  /** Only jobs of these kinds (the kinds the caller's engine runs). */
  kinds?: string[];
  /** Leases of this owner are left alone (the caller's own). */
  exceptOwner?: string;
  now?: number;
  /** The event message, saying why (default: a generic one). */
  message?: string;
}

export interface JobEvent {
  seq: number;
  jobId: string;
  at: number;
  /** e.g. 'submitted', 'claimed', 'step.done', 'step.wait', 'step.retry', 'step.failed', 'cancel.requested', 'lease.expired' */
  type: string;
  fromState: JobState | null;
  toState: JobState | null;
  step: string | null;
  attempt: number | null;
  message: string | null;
  /** OpenStack request ids of the calls this step made. */
  requestIds: string[];
  data: Record<string, unknown> | null;
}

export type NewJobEvent = Omit<JobEvent, 'seq' | 'jobId' | 'at'> & { at?: number };

/** What a committed step result changes on the job row. */
export interface JobPatch {
  state: JobState;
  step?: string | null;
  stepIndex?: number;
  phase?: 'run' | 'cleanup';
  /** Shallow-merged into the stored context. */
  context?: Record<string, unknown>;
  result?: Record<string, unknown> | null;
  attempt?: number;
  runAfter?: number;
  error?: JobError | null;
  progress?: JobProgress | null;
}

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  now?: number;
  kinds?: string[];
  /** Claim this job only (immediate in-process dispatch); still fully guarded. */
  jobId?: string;
  /**
   * Claim only a job that has never started. A queue-dispatching engine's hand-over: every
   * started job that is due has a message of its own on the way, while a job that waited for
   * a lock or a concurrency slot has none, and the slot just freed is its only chance.
   */
  notStarted?: boolean;
}

export interface ListJobsFilter {
  state?: JobState;
  kind?: string;
  /** Matches jobs whose lockKey equals this value. */
  lockKey?: string;
  /** Matches jobs whose lockKey or lockAlias equals this value (a server named by id or by name). */
  lockKeyOrAlias?: string;
  /** seq cursor: return jobs with seq < before (newest first). */
  before?: number;
  limit?: number;
}

export interface JobStore {
  /** Apply numbered migrations (idempotent). */
  migrate(): Promise<void>;
  /**
   * Insert a job. With an idempotency key already present (also when two inserts race)
   * returns the existing job and created=false.
   */
  insertJob(job: NewJob, event?: NewJobEvent): Promise<{ job: Job; created: boolean }>;
  /**
   * insertJob(), unless an unfinished job holds job.lockKey: then nothing is written and
   * that job (the oldest unfinished one of the key) comes back as the holder. ONE atomic
   * operation, so of racing inserts for a free key exactly one is created. An existing
   * idempotency key wins over the lock: its job comes back as `replayed` even while the key
   * is held (typically by that very job). Without a lock key it is insertJob().
   */
  insertUnlessLocked(job: NewJob, event?: NewJobEvent): Promise<InsertUnlessLockedResult>;
  getJob(id: string): Promise<Job | null>;
  getJobByIdempotencyKey(key: string): Promise<Job | null>;
  listJobs(filter: ListJobsFilter): Promise<Job[]>;
  /**
   * One atomic statement: pick the oldest runnable job (queued/waiting with run_after <= now,
   * or running with an expired lease; a queued/waiting job with cancel_requested is due at
   * once, so its cleanup starts promptly), honouring lock keys and concurrency limits, set
   * state=running and the lease. Returns null when nothing is claimable.
   */
  claim(opts: ClaimOptions): Promise<Job | null>;
  /**
   * Make every running job's lease expire now (so the next claim() takes the job back), with
   * a `lease.revoked` event each; returns how many. Only for a caller that knows no other
   * handler can be alive on this job table (one service on an SQLite file it holds the
   * instance lock of): a live owner would have its step run twice.
   */
  revokeLeases(opts: RevokeLeasesOptions): Promise<number>;
  /** Extend the lease (and optionally record progress) if `owner` still holds it. */
  heartbeat(id: string, owner: string, leaseMs: number, progress?: JobProgress | null, now?: number): Promise<boolean>;
  /**
   * Commit a step's outcome: a guarded UPDATE (id, state='running', lease_owner=owner) that
   * must respect TRANSITIONS, plus the event insert, in ONE transaction. False if the lease
   * was lost (someone else reclaimed the job); then nothing is written.
   */
  commit(id: string, owner: string, patch: JobPatch, event: NewJobEvent, now?: number): Promise<boolean>;
  /**
   * commit(), then claim(next) for the same owner, atomically and in one round trip where the
   * dialect allows: the worker's "this job is done or asleep, give me the next one". The next
   * job is claimed whether or not the commit matched. It may leave jobs with an expired lease
   * to claim(), which the engine's tick and idle paths call. Optional: a store without it
   * gets commit() and claim() from the engine.
   */
  commitAndClaim?(
    id: string,
    owner: string,
    patch: JobPatch,
    event: NewJobEvent,
    next: ClaimOptions,
    now?: number,
  ): Promise<{ committed: boolean; next: Job | null }>;
  /**
   * Guarded transition outside of a lease (e.g. cancel of a queued job):
   * UPDATE ... WHERE id = ? AND state = from. False when the state was not `from`.
   */
  transition(id: string, from: JobState, patch: JobPatch, event: NewJobEvent, now?: number): Promise<boolean>;
  /** Set cancel_requested (no-op on terminal jobs); returns the job after the change. */
  requestCancel(id: string, event?: NewJobEvent, now?: number): Promise<Job | null>;
  appendEvent(jobId: string, event: NewJobEvent): Promise<void>;
  listEvents(jobId: string, afterSeq?: number, limit?: number): Promise<JobEvent[]>;
  close(): Promise<void>;
}

/** One firing of a schedule slot, as recorded. */
export interface SlotRecord {
  schedule: string;
  /** the slot's epoch-ms time */
  slot: number;
  firedAt: number;
  owner: string | null;
  finishedAt: number | null;
  jobIds: string[];
  errors: { server?: string; message: string }[];
}

/**
 * Schedules fire each slot once across instances sharing the table: claimSlot lets one
 * firer in; it records what it made with finishSlot. A claim whose firer never finished
 * (its instance died) may be taken over once it is `staleMs` old, so a slot is never lost
 * to a crash; the jobs' idempotency keys keep a re-firing from snapshotting twice.
 */
export interface ScheduleSlotStore {
  /** True for the one caller that should fire (schedule, slot) now. */
  claimSlot(schedule: string, slot: number, opts: { owner: string; staleMs: number; now?: number }): Promise<boolean>;
  /** Records the firing's outcome (only the owner's claim is updated). */
  finishSlot(schedule: string, slot: number, owner: string, outcome: { jobIds: string[]; errors: SlotRecord['errors'] }, now?: number): Promise<void>;
  /** The latest slot of each named schedule that has one. */
  lastSlots(schedules: readonly string[]): Promise<SlotRecord[]>;
  /** Jobs by id (missing ids are left out). */
  getJobs(ids: readonly string[]): Promise<Job[]>;
}

/**
 * Runner tasks (shared/jobs/runner-task.ts): image-cleaning work handed to sysprep runners,
 * in the jobs' database. Every write is guarded, atomic, and records what it did in the
 * task's job history where the caller passes an event.
 */
export interface RunnerTaskStore {
  /** Insert, unless (jobId, step, key) has a task already: then that one, created=false. */
  enqueueRunnerTask(task: NewRunnerTask, now?: number): Promise<{ task: RunnerTask; created: boolean }>;
  getRunnerTask(id: string): Promise<RunnerTask | null>;
  findRunnerTask(jobId: string, step: string, key: string): Promise<RunnerTask | null>;
  /**
   * Tasks a claim could take now, oldest first, with what they touch (a runner token limited
   * to targets filters them before claiming by id).
   */
  listClaimableRunnerTasks(now: number, limit: number): Promise<Array<{ id: string; scopes: RunnerTaskScope[] }>>;
  /**
   * One atomic operation: take the oldest queued task (or one whose lease expired) of an
   * unfinished job with no cancel requested, and lease it (a new token hash, attempt + 1),
   * with a `runner.claimed` event (`runner.reclaimed` after a lost lease) in its job's
   * history. Concurrent claimers never get the same task.
   */
  claimRunnerTask(opts: ClaimRunnerTaskOptions): Promise<RunnerTask | null>;
  /** The guarded update; null (and nothing written) when the guard did not match. */
  updateRunnerTask(update: RunnerTaskUpdate): Promise<RunnerTask | null>;
  /** Every open (queued or leased) task of the job becomes cancelled; returns how many. */
  cancelRunnerTasks(jobId: string, now?: number): Promise<number>;
}

/**
 * One guarded change of a task, atomically with what it means for its job: written only
 * while the task is in one of `states` (and, with `leaseTokenHash`, under that lease).
 */
export interface RunnerTaskUpdate {
  id: string;
  states: readonly RunnerTaskState[];
  leaseTokenHash?: string;
  patch: RunnerTaskPatch;
  /** The job's progress, written only while the job is unfinished. */
  jobProgress?: JobProgress;
  /** Ends the job's wait now (a waiting job becomes due), so its step sees the outcome at once. */
  wakeJob?: boolean;
  /** Recorded in the job's history (job_id = the task's job). */
  event?: NewJobEvent;
  now?: number;
}

export interface ClaimRunnerTaskOptions {
  /** The runner's name, recorded as the lease owner. */
  runner: string;
  leaseMs: number;
  leaseTokenHash: string;
  now?: number;
  /** Only these tasks (a runner token limited to targets); undefined: any. */
  ids?: readonly string[];
}
