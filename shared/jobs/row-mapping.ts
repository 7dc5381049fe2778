import type { JobDialect } from './job-db';
import type { Job, JobError, JobEvent, JobProgress, JobState } from './types';

// PostgreSQL hands jsonb back already parsed; SQLite/D1 hand back the TEXT we wrote.
function decode(dialect: JobDialect, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (dialect === 'postgres') return v;
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** JSON parameter for a json/jsonb column: always a string, so pg never turns arrays into PG arrays. */
export function jsonParam(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function rowToJob(dialect: JobDialect, r: Record<string, unknown>): Job {
  return {
    id: r.id as string,
    seq: num(r.seq),
    kind: r.kind as string,
    state: r.state as JobState,
    step: (r.step as string | null) ?? null,
    stepIndex: num(r.step_index),
    phase: r.phase === 'cleanup' ? 'cleanup' : 'run',
    params: decode(dialect, r.params),
    context: (decode(dialect, r.context) as Record<string, unknown> | null) ?? {},
    result: decode(dialect, r.result) as Record<string, unknown> | null,
    attempt: num(r.attempt),
    runAfter: num(r.run_after),
    deadline: numOrNull(r.deadline),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    lockKey: (r.lock_key as string | null) ?? null,
    lockAlias: (r.lock_alias as string | null) ?? null,
    concurrencyKey: (r.concurrency_key as string | null) ?? null,
    concurrencyLimit: numOrNull(r.concurrency_limit),
    requestedBy: (r.requested_by as string | null) ?? null,
    cancelRequested: num(r.cancel_requested) !== 0,
    error: decode(dialect, r.error) as JobError | null,
    progress: decode(dialect, r.progress) as JobProgress | null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

export function rowToEvent(dialect: JobDialect, r: Record<string, unknown>): JobEvent {
  const ids = decode(dialect, r.request_ids);
  return {
    seq: num(r.seq),
    jobId: r.job_id as string,
    at: num(r.at),
    type: r.type as string,
    fromState: (r.from_state as JobState | null) ?? null,
    toState: (r.to_state as JobState | null) ?? null,
    step: (r.step as string | null) ?? null,
    attempt: numOrNull(r.attempt),
    message: (r.message as string | null) ?? null,
    requestIds: Array.isArray(ids) ? (ids as string[]) : [],
    data: decode(dialect, r.data) as Record<string, unknown> | null,
  };
}
