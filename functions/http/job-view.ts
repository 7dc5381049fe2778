// The public shape of a job and its events: ISO timestamps, no lease/engine internals,
// and params with anything secret-looking masked (defence in depth: params should never
// carry secrets, but a free-form `properties` map could).
import type { Job, JobEvent } from '../../shared/jobs/types';

export interface JobLinks {
  self: string;
  events: string;
  wait: string;
}

export interface JobView {
  id: string;
  kind: string;
  state: Job['state'];
  step: string | null;
  progress: { phase: string; done: number | null; total: number | null } | null;
  result: Record<string, unknown> | null;
  error: { code: string; message: string; step: string | null; requestId: string | null } | null;
  params: unknown;
  attempt: number;
  cancelRequested: boolean;
  requestedBy: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  links: JobLinks;
}

const SECRET_KEY = /(secret|password|passwd|token|credential|private[-_]?key|api[-_]?key)/i;
const MASK = '[redacted]';

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return MASK;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? MASK : redactSecrets(v, depth + 1)]));
  }
  return value;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function jobLinks(id: string): JobLinks {
  const self = `/v1/jobs/${encodeURIComponent(id)}`;
  return { self, events: `${self}/events`, wait: `${self}/wait` };
}

export function toJobView(job: Job): JobView {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    step: job.step,
    progress: job.progress ? { phase: job.progress.phase, done: job.progress.done ?? null, total: job.progress.total ?? null } : null,
    result: job.result === null ? null : (redactSecrets(job.result) as Record<string, unknown>),
    error: job.error ? { code: job.error.code, message: job.error.message, step: job.error.step ?? null, requestId: job.error.requestId ?? null } : null,
    params: redactSecrets(job.params),
    attempt: job.attempt,
    cancelRequested: job.cancelRequested,
    requestedBy: job.requestedBy,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    startedAt: isoOrNull(job.startedAt),
    finishedAt: isoOrNull(job.finishedAt),
    links: jobLinks(job.id),
  };
}

/** The 202 reply to a submission. */
export function toSubmitView(job: Job) {
  return { id: job.id, kind: job.kind, state: job.state, links: jobLinks(job.id) };
}

export function toEventView(e: JobEvent) {
  return {
    seq: e.seq,
    at: iso(e.at),
    type: e.type,
    fromState: e.fromState,
    toState: e.toState,
    step: e.step,
    attempt: e.attempt,
    message: e.message,
    requestIds: e.requestIds,
    data: e.data === null ? null : redactSecrets(e.data),
  };
}
