// The runner-task half of the in-memory store (memory-store.ts), to the RunnerTaskStore
// contract of shared/jobs/types.ts: every method is synchronous up to its result, so each
// is as atomic as the SQL stores' single operation.
import type { NewRunnerTask, RunnerTask } from '../../shared/jobs/runner-task';
import type { ClaimRunnerTaskOptions, Job, NewJobEvent, RunnerTaskStore, RunnerTaskUpdate } from '../../shared/jobs/types';
import { TERMINAL_STATES } from '../../shared/jobs/types';

const clone = <T>(v: T): T => structuredClone(v);

export interface MemoryJobAccess {
  job(id: string): Job | undefined;
  pushEvent(jobId: string, e: NewJobEvent, now: number): void;
  clock(): number;
}

export class MemoryRunnerTasks implements RunnerTaskStore {
  private tasks: RunnerTask[] = [];
  private seq = 0;

  constructor(private readonly jobs: MemoryJobAccess) {}

  async enqueueRunnerTask(t: NewRunnerTask, now = this.jobs.clock()): Promise<{ task: RunnerTask; created: boolean }> {
    const existing = this.tasks.find((x) => (x.jobId === t.jobId && x.step === t.step && x.key === t.key) || x.id === t.id);
    if (existing) return { task: clone(existing), created: false };
    const task: RunnerTask = {
      ...clone(t),
      seq: ++this.seq,
      state: 'queued',
      attempt: 0,
      failures: 0,
      leaseOwner: null,
      leaseTokenHash: null,
      leaseExpiresAt: null,
      phase: null,
      bytesDone: 0,
      bytesTotal: 0,
      result: null,
      error: null,
      createdAt: now,
      updatedAt: now,
      claimedAt: null,
      heartbeatAt: null,
      finishedAt: null,
    };
    this.tasks.push(task);
    return { task: clone(task), created: true };
  }

  async getRunnerTask(id: string): Promise<RunnerTask | null> {
    const t = this.tasks.find((x) => x.id === id);
    return t ? clone(t) : null;
  }

  async findRunnerTask(jobId: string, step: string, key: string): Promise<RunnerTask | null> {
    const t = this.tasks.find((x) => x.jobId === jobId && x.step === step && x.key === key);
    return t ? clone(t) : null;
  }

  private claimable(t: RunnerTask, now: number): boolean {
    const open = t.state === 'queued' || (t.state === 'leased' && t.leaseExpiresAt !== null && t.leaseExpiresAt <= now);
    const job = this.jobs.job(t.jobId);
    return open && job !== undefined && !TERMINAL_STATES.includes(job.state) && !job.cancelRequested;
  }

  async listClaimableRunnerTasks(now: number, limit: number) {
    return this.tasks
      .filter((t) => this.claimable(t, now))
      .slice(0, limit)
      .map((t) => ({ id: t.id, scopes: clone(t.scopes) }));
  }

  async claimRunnerTask(o: ClaimRunnerTaskOptions): Promise<RunnerTask | null> {
    const now = o.now ?? this.jobs.clock();
    const t = this.tasks.find((x) => this.claimable(x, now) && (o.ids === undefined || o.ids.includes(x.id)));
    if (!t) return null;
    const lost = t.state === 'leased';
    this.jobs.pushEvent(
      t.jobId,
      {
        type: lost ? 'runner.reclaimed' : 'runner.claimed',
        fromState: null,
        toState: null,
        step: t.step,
        attempt: t.attempt + 1,
        message: `${lost ? `the lease of ${t.leaseOwner ?? '?'} expired; ` : ''}runner ${o.runner} claimed the task`,
        requestIds: [],
        data: { taskId: t.id, runner: o.runner, attempt: t.attempt + 1, previousOwner: lost ? t.leaseOwner : null },
      },
      now,
    );
    Object.assign(t, {
      state: 'leased',
      leaseOwner: o.runner,
      leaseTokenHash: o.leaseTokenHash,
      leaseExpiresAt: now + o.leaseMs,
      attempt: t.attempt + 1,
      claimedAt: now,
      heartbeatAt: null,
      phase: null,
      bytesDone: 0,
      bytesTotal: 0,
      updatedAt: now,
    });
    return clone(t);
  }

  async updateRunnerTask(u: RunnerTaskUpdate): Promise<RunnerTask | null> {
    if (u.jobProgress !== undefined && u.wakeJob) throw new Error('updateRunnerTask: jobProgress and wakeJob are separate updates');
    const now = u.now ?? this.jobs.clock();
    const t = this.tasks.find((x) => x.id === u.id);
    if (!t || !u.states.includes(t.state) || (u.leaseTokenHash !== undefined && t.leaseTokenHash !== u.leaseTokenHash)) return null;
    if (u.event) this.jobs.pushEvent(t.jobId, u.event, now);
    const job = this.jobs.job(t.jobId);
    if (job && u.jobProgress !== undefined && !TERMINAL_STATES.includes(job.state)) {
      job.progress = clone(u.jobProgress);
      job.updatedAt = now;
    }
    if (job && u.wakeJob && job.state === 'waiting' && job.runAfter > now) {
      job.runAfter = now;
      job.updatedAt = now;
    }
    for (const [k, v] of Object.entries(u.patch)) if (v !== undefined) (t as unknown as Record<string, unknown>)[k] = clone(v);
    t.updatedAt = now;
    return clone(t);
  }

  async cancelRunnerTasks(jobId: string, now = this.jobs.clock()): Promise<number> {
    let n = 0;
    for (const t of this.tasks) {
      if (t.jobId !== jobId || (t.state !== 'queued' && t.state !== 'leased')) continue;
      Object.assign(t, { state: 'cancelled', updatedAt: now, finishedAt: now });
      n++;
    }
    return n;
  }
}
