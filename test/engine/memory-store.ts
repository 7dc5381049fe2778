// In-memory JobStore for the engine's unit tests. It follows the JobStore contract of
// shared/jobs/types.ts and the TRANSITIONS table exactly (guarded transitions, leases,
// FIFO lock keys, concurrency limits, idempotency keys) so engine tests mean something
// before (and besides) the SQL stores.
import { assertTransition } from '../../shared/jobs/transitions';
import type {
  ClaimOptions,
  InsertUnlessLockedResult,
  Job,
  JobEvent,
  JobPatch,
  JobProgress,
  JobState,
  JobStore,
  ListJobsFilter,
  NewJob,
  NewJobEvent,
  RevokeLeasesOptions,
  RunnerTaskStore,
  SlotRecord,
} from '../../shared/jobs/types';
import { TERMINAL_STATES } from '../../shared/jobs/types';
import { MemoryRunnerTasks } from './memory-runner-tasks';

const UNFINISHED: readonly JobState[] = ['queued', 'running', 'waiting'];
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryJobStore implements JobStore, RunnerTaskStore {
  private jobs = new Map<string, Job>();
  private events: JobEvent[] = [];
  private seq = 0;
  private eventSeq = 0;
  /** Test hook: make the next commit throw (a crash between side effect and commit). */
  failNextCommit: Error | null = null;

  private readonly slots = new Map<string, SlotRecord>();
  readonly dialect = 'memory';
  /** The runner-task half (memory-runner-tasks.ts), over this store's jobs and events. */
  private readonly tasks: MemoryRunnerTasks;

  constructor(private readonly clock: () => number = Date.now) {
    this.tasks = new MemoryRunnerTasks({ job: (id) => this.jobs.get(id), pushEvent: (id, e, now) => this.pushEvent(id, e, now), clock });
  }

  async migrate(): Promise<void> {}

  async insertJob(nj: NewJob, event?: NewJobEvent): Promise<{ job: Job; created: boolean }> {
    if (nj.idempotencyKey) {
      const existing = [...this.jobs.values()].find((j) => j.idempotencyKey === nj.idempotencyKey);
      if (existing) return { job: clone(existing), created: false };
    }
    if (this.jobs.has(nj.id)) throw new Error(`duplicate job id ${nj.id}`);
    const t = this.clock();
    const job: Job = {
      id: nj.id,
      seq: ++this.seq,
      kind: nj.kind,
      state: 'queued',
      step: null,
      stepIndex: 0,
      phase: 'run',
      params: clone(nj.params),
      context: clone(nj.context ?? {}),
      result: null,
      attempt: 0,
      runAfter: nj.runAfter ?? t,
      deadline: nj.deadline ?? null,
      leaseOwner: null,
      leaseExpiresAt: null,
      idempotencyKey: nj.idempotencyKey ?? null,
      lockKey: nj.lockKey ?? null,
      lockAlias: nj.lockKey ? (nj.lockAlias ?? null) : null,
      concurrencyKey: nj.concurrencyKey ?? null,
      concurrencyLimit: nj.concurrencyLimit ?? null,
      requestedBy: nj.requestedBy ?? null,
      cancelRequested: false,
      error: null,
      progress: null,
      createdAt: t,
      updatedAt: t,
      startedAt: null,
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    // as shared/jobs/sql/insert-job.ts: without an event of its own, a job starts with `submitted`
    this.pushEvent(
      job.id,
      event ?? {
        type: 'submitted',
        fromState: null,
        toState: 'queued',
        step: null,
        attempt: null,
        message: null,
        requestIds: [],
        data: nj.requestedBy ? { requestedBy: nj.requestedBy } : null,
      },
      t,
    );
    return { job: clone(job), created: true };
  }

  // Synchronous up to its result, so it is as atomic as the SQL stores' single operation.
  async insertUnlessLocked(nj: NewJob, event?: NewJobEvent): Promise<InsertUnlessLockedResult> {
    const replayed = nj.idempotencyKey ? [...this.jobs.values()].find((j) => j.idempotencyKey === nj.idempotencyKey) : undefined;
    if (replayed) return { outcome: 'replayed', job: clone(replayed) };
    const holder = nj.lockKey
      ? [...this.jobs.values()].filter((j) => j.lockKey === nj.lockKey && UNFINISHED.includes(j.state)).sort((a, b) => a.seq - b.seq)[0]
      : undefined;
    if (holder) return { outcome: 'busy', holder: clone(holder) };
    const { job, created } = await this.insertJob(nj, event);
    return created ? { outcome: 'created', job } : { outcome: 'replayed', job };
  }

  async getJob(id: string): Promise<Job | null> {
    const j = this.jobs.get(id);
    return j ? clone(j) : null;
  }

  async getJobByIdempotencyKey(key: string): Promise<Job | null> {
    const j = [...this.jobs.values()].find((x) => x.idempotencyKey === key);
    return j ? clone(j) : null;
  }

  async listJobs(f: ListJobsFilter): Promise<Job[]> {
    return [...this.jobs.values()]
      .filter((j) => (f.state === undefined || j.state === f.state) && (f.kind === undefined || j.kind === f.kind))
      .filter((j) => (f.lockKey === undefined || j.lockKey === f.lockKey) && (f.before === undefined || j.seq < f.before))
      .filter((j) => f.lockKeyOrAlias === undefined || j.lockKey === f.lockKeyOrAlias || j.lockAlias === f.lockKeyOrAlias)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, f.limit ?? 100)
      .map(clone);
  }

  private runnable(j: Job, now: number): boolean {
    // a requested cancel is due at once (its cleanup must not sit out a long wait), as in the SQL stores
    if (j.state === 'queued' || j.state === 'waiting') return j.runAfter <= now || j.cancelRequested;
    return j.state === 'running' && j.leaseExpiresAt !== null && j.leaseExpiresAt <= now;
  }

  private blocked(j: Job): boolean {
    const all = [...this.jobs.values()];
    // Lock keys: only the oldest unfinished job of a key may run (FIFO).
    if (j.lockKey !== null && all.some((o) => o.lockKey === j.lockKey && o.seq < j.seq && UNFINISHED.includes(o.state))) return true;
    if (j.concurrencyKey !== null && j.concurrencyLimit !== null && j.startedAt === null) {
      const started = all.filter((o) => o !== j && o.concurrencyKey === j.concurrencyKey && o.startedAt !== null && UNFINISHED.includes(o.state));
      if (started.length >= j.concurrencyLimit) return true;
    }
    return false;
  }

  async claim(opts: ClaimOptions, exceptId?: string): Promise<Job | null> {
    const now = opts.now ?? this.clock();
    const candidates = [...this.jobs.values()]
      .filter((j) => j.id !== exceptId && (opts.jobId === undefined || j.id === opts.jobId) && (opts.kinds === undefined || opts.kinds.includes(j.kind)))
      .filter((j) => !opts.notStarted || j.startedAt === null)
      .sort((a, b) => a.seq - b.seq);
    for (const j of candidates) {
      if (!this.runnable(j, now) || this.blocked(j)) continue;
      const reclaim = j.state === 'running';
      const from = j.state;
      j.state = 'running';
      j.attempt = reclaim ? j.attempt + 1 : Math.max(j.attempt, 1);
      j.leaseOwner = opts.owner;
      j.leaseExpiresAt = now + opts.leaseMs;
      j.startedAt ??= now;
      j.updatedAt = now;
      if (reclaim) {
        this.pushEvent(
          j.id,
          {
            type: 'lease.expired',
            fromState: from,
            toState: 'running',
            step: j.step,
            attempt: j.attempt - 1,
            message: 'lease expired; reclaimed',
            requestIds: [],
            data: null,
          },
          now,
        );
      }
      this.pushEvent(
        j.id,
        { type: 'claimed', fromState: from, toState: 'running', step: j.step, attempt: j.attempt, message: opts.owner, requestIds: [], data: null },
        now,
      );
      return clone(j);
    }
    return null;
  }

  async revokeLeases(opts: RevokeLeasesOptions): Promise<number> {
    const now = opts.now ?? this.clock();
    let n = 0;
    for (const j of [...this.jobs.values()].sort((a, b) => a.seq - b.seq)) {
      if (j.state !== 'running' || j.leaseExpiresAt === null || j.leaseExpiresAt <= now) continue;
      if ((opts.kinds && opts.kinds.length > 0 && !opts.kinds.includes(j.kind)) || (opts.exceptOwner !== undefined && j.leaseOwner === opts.exceptOwner))
        continue;
      this.pushEvent(
        j.id,
        {
          type: 'lease.revoked',
          fromState: 'running',
          toState: 'running',
          step: j.step,
          attempt: j.attempt,
          message: opts.message ?? 'lease revoked: its owner is known to be gone',
          requestIds: [],
          data: { owner: j.leaseOwner },
        },
        now,
      );
      j.leaseExpiresAt = now;
      j.updatedAt = now;
      n++;
    }
    return n;
  }

  async heartbeat(id: string, owner: string, leaseMs: number, progress?: JobProgress | null, now = this.clock()): Promise<boolean> {
    const j = this.jobs.get(id);
    if (j?.state !== 'running' || j.leaseOwner !== owner) return false;
    j.leaseExpiresAt = now + leaseMs;
    if (progress !== undefined) j.progress = clone(progress);
    j.updatedAt = now;
    return true;
  }

  private apply(j: Job, patch: JobPatch, now: number): void {
    j.state = patch.state;
    if (patch.step !== undefined) j.step = patch.step;
    if (patch.stepIndex !== undefined) j.stepIndex = patch.stepIndex;
    if (patch.phase !== undefined) j.phase = patch.phase;
    if (patch.context !== undefined) j.context = { ...j.context, ...clone(patch.context) };
    if (patch.result !== undefined) j.result = clone(patch.result);
    if (patch.attempt !== undefined) j.attempt = patch.attempt;
    if (patch.runAfter !== undefined) j.runAfter = patch.runAfter;
    if (patch.error !== undefined) j.error = clone(patch.error);
    if (patch.progress !== undefined) j.progress = clone(patch.progress);
    if (patch.state !== 'running') {
      j.leaseOwner = null;
      j.leaseExpiresAt = null;
    }
    if (TERMINAL_STATES.includes(patch.state)) j.finishedAt = now;
    j.updatedAt = now;
  }

  async commit(id: string, owner: string, patch: JobPatch, event: NewJobEvent, now = this.clock()): Promise<boolean> {
    if (this.failNextCommit) {
      const err = this.failNextCommit;
      this.failNextCommit = null;
      throw err;
    }
    const j = this.jobs.get(id);
    if (j?.state !== 'running' || j.leaseOwner !== owner) return false;
    assertTransition('running', patch.state);
    this.apply(j, patch, now);
    // the SQL stores record the transition the guard saw, whatever the event says
    this.pushEvent(id, { ...event, fromState: 'running', toState: patch.state }, now);
    return true;
  }

  /** One call, as the SQL stores make it one statement: the commit, then a claim that never returns the committed job. */
  async commitAndClaim(
    id: string,
    owner: string,
    patch: JobPatch,
    event: NewJobEvent,
    next: ClaimOptions,
    now = this.clock(),
  ): Promise<{ committed: boolean; next: Job | null }> {
    const committed = await this.commit(id, owner, patch, event, now);
    return { committed, next: await this.claim({ ...next, now: next.now ?? now }, id) };
  }

  async claimSlot(schedule: string, slot: number, o: { owner: string; staleMs: number; now?: number }): Promise<boolean> {
    const now = o.now ?? this.clock();
    const key = `${schedule}\u0000${slot}`;
    const had = this.slots.get(key);
    if (had && (had.finishedAt !== null || had.firedAt >= now - o.staleMs)) return false;
    this.slots.set(key, { schedule, slot, firedAt: now, owner: o.owner, finishedAt: null, jobIds: [], errors: [] });
    return true;
  }

  async finishSlot(
    schedule: string,
    slot: number,
    owner: string,
    outcome: { jobIds: string[]; errors: SlotRecord['errors'] },
    now = this.clock(),
  ): Promise<void> {
    const rec = this.slots.get(`${schedule}\u0000${slot}`);
    if (rec?.owner === owner) Object.assign(rec, { finishedAt: now, jobIds: [...outcome.jobIds], errors: clone(outcome.errors) });
  }

  async lastSlots(schedules: readonly string[]): Promise<SlotRecord[]> {
    const latest = new Map<string, SlotRecord>();
    for (const r of this.slots.values()) {
      if (schedules.includes(r.schedule) && (latest.get(r.schedule)?.slot ?? -Infinity) < r.slot) latest.set(r.schedule, r);
    }
    return [...latest.values()].map(clone);
  }

  async getJobs(ids: readonly string[]): Promise<Job[]> {
    return ids.flatMap((id) => (this.jobs.has(id) ? [clone(this.jobs.get(id)!)] : []));
  }

  async transition(id: string, from: JobState, patch: JobPatch, event: NewJobEvent, now = this.clock()): Promise<boolean> {
    assertTransition(from, patch.state);
    const j = this.jobs.get(id);
    if (!j || j.state !== from) return false;
    this.apply(j, patch, now);
    this.pushEvent(id, { ...event, fromState: from, toState: patch.state }, now);
    return true;
  }

  async requestCancel(id: string, event?: NewJobEvent, now = this.clock()): Promise<Job | null> {
    const j = this.jobs.get(id);
    if (!j) return null;
    if (!TERMINAL_STATES.includes(j.state) && !j.cancelRequested) {
      j.cancelRequested = true;
      j.updatedAt = now;
      const e = event ?? { type: 'cancel.requested', fromState: null, toState: null, step: null, attempt: null, message: null, requestIds: [], data: null };
      this.pushEvent(id, { ...e, fromState: j.state, toState: j.state, step: j.step, attempt: j.attempt }, now);
    }
    return clone(j);
  }

  async appendEvent(jobId: string, event: NewJobEvent): Promise<void> {
    this.pushEvent(jobId, event, this.clock());
  }

  async listEvents(jobId: string, afterSeq = 0, limit = 1000): Promise<JobEvent[]> {
    return this.events
      .filter((e) => e.jobId === jobId && e.seq > afterSeq)
      .slice(0, limit)
      .map(clone);
  }

  async close(): Promise<void> {}

  enqueueRunnerTask: RunnerTaskStore['enqueueRunnerTask'] = (t, now) => this.tasks.enqueueRunnerTask(t, now);
  getRunnerTask: RunnerTaskStore['getRunnerTask'] = (id) => this.tasks.getRunnerTask(id);
  findRunnerTask: RunnerTaskStore['findRunnerTask'] = (jobId, step, key) => this.tasks.findRunnerTask(jobId, step, key);
  listClaimableRunnerTasks: RunnerTaskStore['listClaimableRunnerTasks'] = (now, limit) => this.tasks.listClaimableRunnerTasks(now, limit);
  claimRunnerTask: RunnerTaskStore['claimRunnerTask'] = (o) => this.tasks.claimRunnerTask(o);
  updateRunnerTask: RunnerTaskStore['updateRunnerTask'] = (u) => this.tasks.updateRunnerTask(u);
  cancelRunnerTasks: RunnerTaskStore['cancelRunnerTasks'] = (jobId, now) => this.tasks.cancelRunnerTasks(jobId, now);

  private pushEvent(jobId: string, e: NewJobEvent, now: number): void {
    const { at, ...rest } = e;
    this.events.push({ ...clone(rest), seq: ++this.eventSeq, jobId, at: at ?? now });
  }
}
