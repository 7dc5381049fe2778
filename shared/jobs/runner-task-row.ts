import type { JobDialect } from './job-db';
import { jsonParam } from './row-mapping';
import type { NewRunnerTask, RunnerTask, RunnerTaskError, RunnerTaskPatch, RunnerTaskResult, RunnerTaskScope, RunnerTaskState } from './runner-task';

// runner_tasks rows <-> RunnerTask, as row-mapping.ts does for jobs (jsonb comes back parsed
// from PostgreSQL, TEXT from SQLite/D1; int8 is a number on our PostgreSQL pool).

function decode(dialect: JobDialect, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (dialect === 'postgres') return v;
  return typeof v === 'string' ? JSON.parse(v) : v;
}
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function rowToRunnerTask(dialect: JobDialect, r: Record<string, unknown>): RunnerTask {
  return {
    seq: num(r.seq),
    id: r.id as string,
    jobId: r.job_id as string,
    step: r.step as string,
    key: r.task_key as string,
    state: r.state as RunnerTaskState,
    attempt: num(r.attempt),
    failures: num(r.failures),
    maxAttempts: num(r.max_attempts),
    deadline: numOrNull(r.deadline),
    source: decode(dialect, r.source) as RunnerTask['source'],
    clean: decode(dialect, r.clean) as RunnerTask['clean'],
    target: decode(dialect, r.target) as RunnerTask['target'],
    scopes: (decode(dialect, r.scopes) as RunnerTaskScope[] | null) ?? [],
    leaseOwner: strOrNull(r.lease_owner),
    leaseTokenHash: strOrNull(r.lease_token_hash),
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    phase: strOrNull(r.phase),
    bytesDone: num(r.bytes_done),
    bytesTotal: num(r.bytes_total),
    result: decode(dialect, r.result) as RunnerTaskResult | null,
    error: decode(dialect, r.error) as RunnerTaskError | null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    claimedAt: numOrNull(r.claimed_at),
    heartbeatAt: numOrNull(r.heartbeat_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

/** The row of a new, queued task (every column but seq). */
export function newRunnerTaskRow(t: NewRunnerTask, now: number) {
  if (!t.id || !t.jobId || !t.step) throw new Error('enqueueRunnerTask: id, jobId and step are required');
  return {
    id: t.id,
    job_id: t.jobId,
    step: t.step,
    task_key: t.key,
    state: 'queued',
    attempt: 0,
    failures: 0,
    max_attempts: t.maxAttempts,
    deadline: t.deadline,
    source: jsonParam(t.source),
    clean: jsonParam(t.clean),
    target: jsonParam(t.target),
    scopes: jsonParam(t.scopes),
    lease_owner: null,
    lease_token_hash: null,
    lease_expires_at: null,
    phase: null,
    bytes_done: 0,
    bytes_total: 0,
    result: null,
    error: null,
    created_at: now,
    updated_at: now,
    claimed_at: null,
    heartbeat_at: null,
    finished_at: null,
  };
}

const COLUMNS: Record<keyof RunnerTaskPatch, string> = {
  state: 'state',
  failures: 'failures',
  leaseOwner: 'lease_owner',
  leaseTokenHash: 'lease_token_hash',
  leaseExpiresAt: 'lease_expires_at',
  phase: 'phase',
  bytesDone: 'bytes_done',
  bytesTotal: 'bytes_total',
  result: 'result',
  error: 'error',
  heartbeatAt: 'heartbeat_at',
  finishedAt: 'finished_at',
};
const JSON_FIELDS = new Set<keyof RunnerTaskPatch>(['result', 'error']);

/** [column, value, isJson] for every field the patch sets. */
export function patchColumns(patch: RunnerTaskPatch): Array<[string, unknown, boolean]> {
  return (Object.keys(patch) as Array<keyof RunnerTaskPatch>)
    .filter((k) => patch[k] !== undefined && k in COLUMNS)
    .map((k) => [COLUMNS[k], JSON_FIELDS.has(k) ? jsonParam(patch[k]) : patch[k], JSON_FIELDS.has(k)]);
}
