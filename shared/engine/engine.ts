// The step engine: claims a job, runs exactly one step, commits the outcome together with
// the next state, and immediately dispatches the next step. OpenStack-agnostic and free of
// Node built-ins (it runs in Workers too); the job table is whatever JobStore it is given.
import { issuesSummary } from '../config/zod-issues';
import type { Job, JobPatch, JobState, JobStore, NewJobEvent } from '../jobs/types';
import { cancelJob } from './cancel';
import type { ErrorClassifier } from './classify';
import { currentStep, type Decision, decideAfterRun, decideBeforeRun, type Next } from './decide';
import { planOf, type StepLogger, type WorkflowDefinition } from './define';
import { createDispatcher, type Dispatch } from './dispatcher';
import type { EngineEvent } from './engine-event';
import { InvalidParamsError, UnknownKindError } from './errors';
import type { JobQueue } from './job-queue';
import { executeStep } from './run-step';
import { insertSubmission, type SubmitOptions } from './submit';

export type { Dispatch } from './dispatcher';
export type { JobQueue } from './job-queue';

export interface EngineOptions {
  store: JobStore;
  // any: one engine drives workflows of every params type
  workflows: readonly WorkflowDefinition<any>[];
  /** Lease owner id of this process/isolate; unique per handler. */
  owner: string;
  leaseMs: number;
  /** How the next step is started right after a commit (default: setImmediate/queueMicrotask). */
  dispatch?: Dispatch;
  /**
   * Where chained steps and wake-ups go instead of this process (Workers: a Cloudflare
   * Queue). Jobs this engine already holds (hand-over) still start through `dispatch`.
   */
  queue?: JobQueue;
  classifyError?: ErrorClassifier;
  /** Called after every successful commit (metrics, logs, long-poll wake-ups). */
  onEvent?: (e: EngineEvent) => void;
  now?: () => number;
  random?: () => number;
  /** Multiplies every step's retry and wait delays (tests: 0.01); default 1. */
  timeScale?: number;
  newId?: () => string;
  /** Max jobs one tick() claims (default 20). */
  tickLimit?: number;
  /**
   * In-process wake-up for waits/retries due within this many ms (default 300 000; 0 turns it
   * off, e.g. on Workers where the cron tick is the only clock).
   */
  wakeWithinMs?: number;
  /**
   * Hand-over (default on, when the store has commitAndClaim): the commit of a step that ends
   * its job or puts it to sleep also claims the next runnable job, which then runs at once. A
   * freed lock or concurrency slot is used right away instead of at the next safety tick, and
   * a worker draining a backlog makes one round trip per job instead of two. With a queue it
   * takes only a job that never started (the others that are due have their messages).
   */
  handOver?: boolean;
  log?: StepLogger;
}

export interface RunOutcome {
  jobId: string;
  kind: string;
  step: string | null;
  /** Event type committed, e.g. 'step.done', 'step.wait', 'cancelled'. */
  type: string;
  state: JobState;
  /** False when the lease was lost and the step's result was discarded. */
  committed: boolean;
}

export interface Engine {
  readonly owner: string;
  submit(kind: string, params: unknown, opts?: SubmitOptions): Promise<{ job: Job; created: boolean }>;
  /** Dry run: validate params and list the steps; touches nothing. */
  plan(kind: string, params: unknown): { kind: string; steps: string[] };
  runOnce(jobId?: string): Promise<RunOutcome | null>;
  /**
   * runOnce for one job, then its following steps in this same call for as long as each
   * commit leaves the next one due at once (or after a wait, slept here while the waits add up
   * to at most `sleepUpToMs`; never a retry's backoff), until `untilMs`; what is left is sent
   * on as usual. For a queue consumer, where a hop through
   * the queue costs more than most steps. Returns the first step's outcome.
   */
  runChain(jobId: string, budget: ChainBudget): Promise<RunOutcome | null>;
  /**
   * Runs the job's step soon, through the dispatch hook like a chained step, if the job is
   * due: for a job whose wait something outside the engine just ended (a runner task's
   * outcome made it due). A job that is not due is left alone.
   */
  wake(jobId: string): void;
  tick(): Promise<RunOutcome[]>;
  /**
   * Makes the leases of other owners on running jobs of this engine's kinds expire now, so
   * the next tick() resumes those jobs instead of waiting out the leases. Only for an engine
   * that knows no other handler on its job table is alive (a restarted service holding its
   * SQLite file's instance lock). Returns how many leases were revoked.
   */
  recoverLeases(message?: string): Promise<number>;
  cancel(id: string): Promise<Job | null>;
  /** Resolves once no dispatched step is pending or running (bounded by timeoutMs). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops dispatching and wake-ups, then drains. Does not close the store. */
  close(timeoutMs?: number): Promise<void>;
}

export interface ChainBudget {
  /** No step starts after this (epoch ms). */
  untilMs: number;
  /**
   * Waits are slept in the call instead of sent on while they add up to at most this much
   * (default 0: none), so a job polling something slow (a runner) does not hold the call.
   */
  sleepUpToMs?: number;
  sleep?(ms: number): Promise<void>;
}

/** Wake-up timers fire this much after run_after, so the clock surely says "due". */
const WAKE_SLACK_MS = 2;
/** Re-arms of one wake-up whose claim came too early (bounded: every wait has a deadline). */
const MAX_REARMS = 5;

const consoleLog: StepLogger = {
  info: (m, d) => console.info(`[engine] ${m}`, d ?? ''),
  warn: (m, d) => console.warn(`[engine] ${m}`, d ?? ''),
  error: (m, d) => console.error(`[engine] ${m}`, d ?? ''),
};

export function createEngine(opts: EngineOptions): Engine {
  const { store, owner, leaseMs } = opts;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0 && timeScale <= 1)) throw new TypeError(`timeScale must be in (0, 1], got ${timeScale}`);
  const newId = opts.newId ?? (() => crypto.randomUUID());
  const log = opts.log ?? consoleLog;
  const tickLimit = opts.tickLimit ?? 20;
  const wakeWithinMs = opts.wakeWithinMs ?? 300_000;
  const byKind = new Map<string, WorkflowDefinition<any>>();
  for (const wf of opts.workflows) {
    if (byKind.has(wf.kind)) throw new TypeError(`duplicate workflow kind "${wf.kind}"`);
    byKind.set(wf.kind, wf);
  }
  const kinds = [...byKind.keys()];
  const dispatcher = createDispatcher(opts.dispatch, log);

  function workflowFor(kind: string): WorkflowDefinition<any> {
    const wf = byKind.get(kind);
    if (!wf) throw new UnknownKindError(kind);
    return wf;
  }

  function parseParams(kind: string, params: unknown): { wf: WorkflowDefinition<any>; params: unknown } {
    const wf = workflowFor(kind);
    const parsed = wf.params.safeParse(params);
    if (!parsed.success) {
      throw new InvalidParamsError(kind, parsed.error.issues, issuesSummary(parsed.error));
    }
    return { wf, params: parsed.data };
  }

  function chain(jobId: string): void {
    if (opts.queue) return enqueue(opts.queue, jobId, now());
    dispatcher.dispatch(jobId, () => runOnce(jobId));
  }

  /** Tracked like a running step, so drain() also waits for the message to be sent. */
  function enqueue(queue: JobQueue, jobId: string, at: number): void {
    if (dispatcher.stopped()) return;
    const sent = queue.send(jobId, at).then(
      () => null,
      (err: unknown) => log.warn('could not queue the next step; the safety tick runs it', { jobId, error: err instanceof Error ? err.message : String(err) }),
    );
    void dispatcher.track(sent);
  }

  function wakeAt(jobId: string, at: number, rearms = 0): void {
    if (opts.queue) return enqueue(opts.queue, jobId, at);
    const delay = at - now();
    if (delay <= 0) return chain(jobId);
    if (delay <= wakeWithinMs) dispatcher.later(jobId, delay + WAKE_SLACK_MS, () => wakeUp(jobId, rearms));
  }

  /**
   * A wake-up timer's targeted claim. A timer may fire slightly before the clock says the job
   * is due (timer and Date.now() granularity differ); the claim then finds nothing, and without
   * a re-arm the job would sleep until the cron tick. Re-arm only when the job was refused for
   * being early: a lock, a concurrency limit or another handler's claim is the tick's business.
   */
  async function wakeUp(jobId: string, rearms: number): Promise<RunOutcome | null> {
    const t = now();
    const out = await claimAndRun(jobId, t);
    if (out || rearms >= MAX_REARMS) return out;
    const job = await store.getJob(jobId);
    if (job && (job.state === 'waiting' || job.state === 'queued') && job.runAfter > t) wakeAt(jobId, job.runAfter, rearms + 1);
    return null;
  }

  function emit(e: EngineEvent): void {
    try {
      opts.onEvent?.(e);
    } catch (err) {
      log.warn('onEvent hook threw', { error: String(err) });
    }
  }

  /** Where a committed step's successor goes: the next step at once, or a wake-up. */
  function routeNext(jobId: string, next: Next): void {
    if (next.kind === 'dispatch') chain(jobId);
    else if (next.kind === 'wake') wakeAt(jobId, next.at);
  }

  async function apply(job: Job, d: Decision, route = routeNext): Promise<RunOutcome> {
    // job.step is null until the first commit of a fresh job; always name the step we ran.
    const patch: JobPatch = d.patch.step === undefined && d.event.step !== null ? { ...d.patch, step: d.event.step } : d.patch;
    const ok = await commitStep(job, patch, d);
    const out: RunOutcome = { jobId: job.id, kind: job.kind, step: d.event.step, type: d.event.type, state: d.patch.state, committed: ok };
    if (!ok) {
      log.warn('lease lost before commit; step result discarded', { jobId: job.id, step: d.event.step, type: d.event.type });
      return out;
    }
    emit({ jobId: job.id, kind: job.kind, event: d.event, patch });
    route(job.id, d.next);
    return out;
  }

  /** The commit, plus (hand-over) the claim of the next job, which is then started. */
  async function commitStep(job: Job, patch: JobPatch, d: Decision): Promise<boolean> {
    const handOver = (opts.handOver ?? true) && d.next.kind !== 'dispatch' && store.commitAndClaim && !dispatcher.stopped();
    if (!handOver) return store.commit(job.id, owner, patch, d.event, d.event.at);
    // With a queue, a job that waited for this lock or slot has no message; any other has one.
    const claim = { owner, leaseMs, kinds, now: now(), ...(opts.queue ? { notStarted: true } : {}) };
    const r = await store.commitAndClaim!(job.id, owner, patch, d.event, claim, d.event.at);
    // Through the dispatch hook like any chained step (on Workers it is ctx.waitUntil). Were the
    // engine stopped meanwhile, the lease runs out and another handler reclaims the job.
    const next = r.next;
    if (next) dispatcher.dispatch(next.id, () => runClaimed(next));
    return r.committed;
  }

  async function runClaimed(job: Job, route = routeNext): Promise<RunOutcome> {
    const workflow = byKind.get(job.kind);
    if (!workflow) {
      // Only if a store ignored the kinds filter: leave the job for an engine that knows it.
      throw new UnknownKindError(job.kind);
    }
    const env = { job, workflow, now: now(), random, classify: opts.classifyError, timeScale };
    const pre = decideBeforeRun(env);
    if (pre) return apply(job, pre, route);
    const step = currentStep(env)!;
    const exec = await executeStep({
      job,
      step,
      now,
      leaseMs,
      timeScale,
      heartbeat: (progress) => store.heartbeat(job.id, owner, leaseMs, progress, now()),
      log,
    });
    const decision = decideAfterRun({ ...env, now: now(), requestIds: exec.requestIds, durationMs: exec.durationMs }, step, exec.outcome);
    if (exec.leaseLost) {
      log.warn('lease lost during step; result discarded', { jobId: job.id, step: step.name });
      return { jobId: job.id, kind: job.kind, step: step.name, type: decision.event.type, state: decision.patch.state, committed: false };
    }
    return apply(job, decision, route);
  }

  async function claimAndRun(jobId: string | undefined, t: number): Promise<RunOutcome | null> {
    const job = await store.claim({ owner, leaseMs, now: t, kinds, ...(jobId !== undefined ? { jobId } : {}) });
    return job ? runClaimed(job) : null;
  }

  function runOnce(jobId?: string): Promise<RunOutcome | null> {
    return claimAndRun(jobId, now());
  }

  async function runChain(jobId: string, budget: ChainBudget): Promise<RunOutcome | null> {
    const sleep = budget.sleep ?? ((ms: number) => new Promise<void>((ok) => setTimeout(ok, ms)));
    let first: RunOutcome | null = null;
    let pending: Next = { kind: 'none' };
    let slept = 0;
    for (;;) {
      const job = await store.claim({ owner, leaseMs, now: now(), kinds, jobId });
      // Another handler took it, or it was not due after all: send on what this call kept.
      if (!job) {
        routeNext(jobId, pending);
        return first;
      }
      let next: Next = { kind: 'none' };
      const out = await runClaimed(job, (_id, n) => {
        next = n;
      });
      first ??= out;
      const n = next as Next;
      const delay = n.kind === 'dispatch' ? 0 : n.kind === 'wake' ? n.at - now() : Number.POSITIVE_INFINITY;
      // A retry after an error goes through the queue: its backoff is the cloud's breathing space.
      const retry = out.type === 'step.retry';
      if (retry || slept + delay > (budget.sleepUpToMs ?? 0) || now() + Math.max(0, delay) >= budget.untilMs || dispatcher.stopped()) {
        routeNext(jobId, n);
        return first;
      }
      pending = n;
      if (delay > 0) {
        slept += delay;
        await sleep(delay + WAKE_SLACK_MS);
      }
    }
  }

  return {
    owner,

    async submit(kind, rawParams, so = {}) {
      const { wf, params } = parseParams(kind, rawParams);
      const t = now();
      const submitted: NewJobEvent = {
        type: 'submitted',
        fromState: null,
        toState: 'queued',
        step: null,
        attempt: null,
        message: `${kind} submitted`,
        requestIds: [],
        data: null,
        at: t,
      };
      const { job, created } = await insertSubmission(store, { id: newId(), kind, wf, params, now: t, event: submitted }, so);
      if (created) {
        emit({ jobId: job.id, kind, event: submitted, patch: { state: 'queued' } });
        wakeAt(job.id, job.runAfter);
      }
      return { job, created };
    },

    plan(kind, rawParams) {
      const { wf, params } = parseParams(kind, rawParams);
      return { kind, steps: planOf(wf, params) };
    },

    runOnce,

    runChain,

    wake: (jobId) => chain(jobId),

    async tick() {
      const running: Promise<RunOutcome | null>[] = [];
      for (let i = 0; i < tickLimit; i++) {
        const job = await store.claim({ owner, leaseMs, now: now(), kinds });
        if (!job) break;
        // Claim the next one while this step runs: one slow step must not stall the tick.
        running.push(dispatcher.track(runClaimed(job)));
      }
      const outs = await Promise.all(running);
      return outs.filter((o): o is RunOutcome => o !== null);
    },

    recoverLeases: (message) => store.revokeLeases({ kinds, exceptOwner: owner, now: now(), ...(message !== undefined ? { message } : {}) }),

    cancel: (id) => cancelJob({ store, now, workflowOf: (k) => byKind.get(k), emit, chain }, id),

    drain: (timeoutMs) => dispatcher.drain(timeoutMs),

    async close(timeoutMs) {
      dispatcher.stop();
      await dispatcher.settle(timeoutMs);
    },
  };
}
