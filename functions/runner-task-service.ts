// The service's side of the runner protocol (shared/runner/protocol.ts), behind the routes
// of http/runner-routes.ts: claims filtered by the runner token's targets, heartbeats that
// keep the lease, show the runner's progress on the job and carry a cancel, and the two
// reports, each guarded by the lease (a runner whose lease was taken over changes nothing).
// Runtime-agnostic: the Workers deployment serves the same routes.
import { sha256Hex } from '../shared/auth/hash';
import { canTarget, type Principal } from '../shared/auth/principal';
import { redactUrlSecrets } from '../shared/config/redact-text';
import type { RunnerTask, RunnerTaskPatch } from '../shared/jobs/runner-task';
import { type JobStore, type NewJobEvent, type RunnerTaskStore, TERMINAL_STATES } from '../shared/jobs/types';
import type { CompleteRequest, FailRequest, HeartbeatRequest, HeartbeatResponse, Task } from '../shared/runner/protocol';
import { toProtocolTask } from './runner-task-view';

export interface RunnerTaskServiceDeps {
  store: Pick<JobStore, 'getJob'> & RunnerTaskStore;
  /** How long a lease lasts without a heartbeat. */
  leaseMs: number;
  now?: () => number;
  /** A task went (back) into the queue: wake this process's waiting claims. */
  onQueued?: () => void;
  /** A task ended: run its job's waiting step now instead of at its next poll. */
  wakeJob?: (jobId: string) => void;
}

export type LeaseAnswer<T> = { ok: true; value: T } | { ok: false };

export interface RunnerTaskService {
  /** A task leased to `runner`, or null when none it may take is claimable now. */
  claim(principal: Pick<Principal, 'name' | 'targets'>, runner: string): Promise<Task | null>;
  heartbeat(id: string, req: HeartbeatRequest): Promise<LeaseAnswer<HeartbeatResponse>>;
  complete(id: string, req: CompleteRequest): Promise<LeaseAnswer<{ state: RunnerTask['state'] }>>;
  fail(id: string, req: FailRequest): Promise<LeaseAnswer<{ state: RunnerTask['state'] }>>;
}

/** How many claimable tasks a runner token limited to targets looks through per claim. */
const SCOPED_SCAN = 500;
/** Reads and guarded updates of one report, when the task keeps changing under it. */
const RACE_RETRIES = 3;
/** Event messages are for people: the runner's own message is kept whole on the task. */
const EVENT_MESSAGE_MAX = 1000;

/**
 * Runner tokens need no targets: one without any (or with one that allows everything) may
 * take every task. One with targets only gets tasks whose every scope (the source server
 * and the target) it may target, as a job token would need to submit that job.
 */
export function claimsEverything(p: Pick<Principal, 'targets'>): boolean {
  return p.targets.length === 0 || p.targets.some((t) => t === '*' || t === '**');
}

function newLeaseToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

const short = (text: string) => {
  const t = redactUrlSecrets(text);
  return t.length > EVENT_MESSAGE_MAX ? `${t.slice(0, EVENT_MESSAGE_MAX)}…` : t;
};

function event(task: RunnerTask, type: string, message: string, data: Record<string, unknown>): NewJobEvent {
  return {
    type,
    fromState: null,
    toState: null,
    step: task.step,
    attempt: task.attempt,
    message: short(message),
    requestIds: [],
    data: { taskId: task.id, ...data },
  };
}

export function createRunnerTaskService(deps: RunnerTaskServiceDeps): RunnerTaskService {
  const { store, leaseMs } = deps;
  const now = deps.now ?? Date.now;
  const ttlSeconds = Math.max(1, Math.round(leaseMs / 1000));

  /**
   * Runs `attempt` on the task while `token` holds (or held, for a cancelled or done task)
   * its lease. Its guarded update fails when the task changed in between (the job's cleanup
   * cancelled it, say): then it runs again on the task as it is now, a few times at most.
   * No lease, or a lease taken over: null.
   */
  async function underLease<T>(id: string, token: string, attempt: (task: RunnerTask, hash: string) => Promise<T | null>): Promise<LeaseAnswer<T>> {
    if (id.length > 200) return { ok: false };
    const hash = await sha256Hex(token);
    for (let i = 0; i < RACE_RETRIES; i++) {
      const task = await store.getRunnerTask(id);
      if (!task || task.leaseTokenHash !== hash) return { ok: false };
      const value = await attempt(task, hash);
      if (value !== null) return { ok: true, value };
    }
    return { ok: false };
  }

  async function beat(task: RunnerTask, hash: string, req: HeartbeatRequest): Promise<HeartbeatResponse | null> {
    if (task.state !== 'leased' && task.state !== 'cancelled') return null;
    const job = await store.getJob(task.jobId);
    // the job was cancelled, or ended otherwise (its deadline): the work is no longer wanted
    const cancel = task.state === 'cancelled' || !job || job.cancelRequested || TERMINAL_STATES.includes(job.state);
    const t = now();
    const patch: RunnerTaskPatch = {
      leaseExpiresAt: t + leaseMs,
      heartbeatAt: t,
      phase: req.phase,
      bytesDone: req.bytesDone,
      bytesTotal: req.bytesTotal,
      ...(cancel ? { state: 'cancelled', finishedAt: task.finishedAt ?? t } : {}),
    };
    const stopping = cancel && task.state === 'leased';
    const updated = await store.updateRunnerTask({
      id: task.id,
      states: [task.state],
      leaseTokenHash: hash,
      patch,
      now: t,
      ...(cancel ? {} : { jobProgress: { phase: req.phase, done: req.bytesDone, total: req.bytesTotal } }),
      ...(stopping
        ? { event: event(task, 'runner.cancel', `the job is no longer running: runner ${task.leaseOwner} told to stop`, { phase: req.phase }) }
        : {}),
    });
    return updated ? { cancel, lease: { expiresAt: new Date(t + leaseMs).toISOString(), ttlSeconds } } : null;
  }

  async function finish(task: RunnerTask, hash: string, req: CompleteRequest): Promise<{ state: RunnerTask['state'] } | null> {
    // the answer to an earlier complete got lost on the way: the same report again
    if (task.state === 'done' && task.result?.imageId === req.imageId) return { state: 'done' };
    if (task.state !== 'leased' && task.state !== 'cancelled') return null;
    const t = now();
    const live = task.state === 'leased';
    const result = {
      imageId: req.imageId,
      bytes: req.bytes,
      verified: { source: { ...req.verified.source }, target: { ...req.verified.target } },
      warnings: req.warnings,
    };
    const what = `runner ${task.leaseOwner} uploaded image ${req.imageId} (${req.bytes} bytes)${live ? '' : ' after the job stopped wanting it'}`;
    const updated = await store.updateRunnerTask({
      id: task.id,
      states: [task.state],
      leaseTokenHash: hash,
      now: t,
      // a cancelled task keeps its state; the image it made is recorded for whoever cleans up
      patch: { ...(live ? { state: 'done' as const, finishedAt: t } : {}), leaseExpiresAt: null, result },
      event: event(task, 'runner.done', what, { imageId: req.imageId, bytes: req.bytes, warnings: req.warnings }),
      ...(live ? { wakeJob: true } : {}),
    });
    if (!updated) return null;
    if (live) deps.wakeJob?.(task.jobId);
    return { state: updated.state };
  }

  async function failed(task: RunnerTask, hash: string, req: FailRequest): Promise<{ state: RunnerTask['state'] } | null> {
    if (task.state !== 'leased' && task.state !== 'cancelled') return null;
    const t = now();
    const error = { code: req.code, message: req.message, retryable: req.retryable, phase: req.phase };
    if (task.state === 'cancelled') {
      const updated = await store.updateRunnerTask({
        id: task.id,
        states: ['cancelled'],
        leaseTokenHash: hash,
        now: t,
        patch: { error, leaseExpiresAt: null },
      });
      return updated ? { state: 'cancelled' } : null;
    }
    // a stopped runner hands the task back: that says nothing about the task itself
    const released = req.code === 'runner_stopping';
    const failures = task.failures + (released ? 0 : 1);
    const again = req.retryable && (released || failures < task.maxAttempts);
    const patch: RunnerTaskPatch = again
      ? { state: 'queued', failures, error, leaseOwner: null, leaseTokenHash: null, leaseExpiresAt: null }
      : { state: 'failed', failures, error, leaseExpiresAt: null, finishedAt: t };
    const how = again
      ? released
        ? 'handed the task back'
        : `failed (attempt ${failures} of ${task.maxAttempts}); the task is queued again`
      : req.retryable
        ? `failed (attempt ${failures} of ${task.maxAttempts}, the last)`
        : 'failed';
    const updated = await store.updateRunnerTask({
      id: task.id,
      states: ['leased'],
      leaseTokenHash: hash,
      patch,
      now: t,
      event: event(task, again ? 'runner.retry' : 'runner.failed', `runner ${task.leaseOwner} ${how} in ${req.phase}: ${req.code}: ${req.message}`, {
        code: req.code,
        phase: req.phase,
        retryable: req.retryable,
        failures,
        maxAttempts: task.maxAttempts,
      }),
      ...(again ? {} : { wakeJob: true }),
    });
    if (!updated) return null;
    if (again) deps.onQueued?.();
    else deps.wakeJob?.(task.jobId);
    return { state: updated.state };
  }

  return {
    async claim(principal, runner) {
      const t = now();
      let ids: string[] | undefined;
      if (!claimsEverything(principal)) {
        const open = await store.listClaimableRunnerTasks(t, SCOPED_SCAN);
        ids = open.filter((o) => o.scopes.every((s) => canTarget(principal, s))).map((o) => o.id);
        if (ids.length === 0) return null;
      }
      const token = newLeaseToken();
      const task = await store.claimRunnerTask({ runner, leaseMs, leaseTokenHash: await sha256Hex(token), now: t, ...(ids ? { ids } : {}) });
      return task ? toProtocolTask(task, token, ttlSeconds) : null;
    },
    heartbeat: (id, req) => underLease(id, req.leaseToken, (task, hash) => beat(task, hash, req)),
    complete: (id, req) => underLease(id, req.leaseToken, (task, hash) => finish(task, hash, req)),
    fail: (id, req) => underLease(id, req.leaseToken, (task, hash) => failed(task, hash, req)),
  };
}
