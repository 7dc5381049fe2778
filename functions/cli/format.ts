// Human output: durations, sizes, tables and one-line job summaries. Plain text only (the
// live watch view adds its own terminal control, and only on a terminal).
import type { EventJson, JobJson } from './api-types';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

export const formatRate = (bytesPerSecond: number) => `${formatBytes(Math.max(0, Math.round(bytesPerSecond)))}/s`;

/** Columns padded to the widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `cloud/server` of a job's params, when it has them. */
export function targetOf(job: Pick<JobJson, 'params'>): string {
  const p = job.params as { cloud?: unknown; server?: unknown } | null;
  if (!p || typeof p.cloud !== 'string') return '-';
  return typeof p.server === 'string' ? `${p.cloud}/${p.server}` : p.cloud;
}

export function ageOf(iso: string, now = Date.now()): string {
  return `${formatDuration(now - Date.parse(iso))} ago`;
}

/** How long the job ran (or has been running). */
export function elapsedOf(job: Pick<JobJson, 'createdAt' | 'finishedAt'>, now = Date.now()): string {
  return formatDuration((job.finishedAt ? Date.parse(job.finishedAt) : now) - Date.parse(job.createdAt));
}

export function formatResult(result: Record<string, unknown> | null): string[] {
  if (!result) return [];
  return Object.entries(result).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

export function formatJobError(job: Pick<JobJson, 'error'>): string {
  const e = job.error;
  if (!e) return '';
  return `${e.step ? `at ${e.step}: ` : ''}${e.code}: ${e.message}${e.requestId ? ` (OpenStack request ${e.requestId})` : ''}`;
}

/** The line that says how a job ended (or where it is). */
export function jobOutcomeLine(job: JobJson): string {
  const head = `${job.kind} job ${job.id} on ${targetOf(job)}`;
  if (job.state === 'succeeded') return `${head} succeeded in ${elapsedOf(job)}`;
  if (job.state === 'failed') return `${head} failed after ${elapsedOf(job)}: ${formatJobError(job)}`;
  if (job.state === 'cancelled') return `${head} cancelled after ${elapsedOf(job)}`;
  return `${head} is ${job.state}${job.step ? ` (step ${job.step})` : ''} after ${elapsedOf(job)}`;
}

/** One line per event, for `events` and the plain watch view. */
export function eventLine(e: EventJson, since: number): string {
  const at = `+${formatDuration(Date.parse(e.at) - since)}`.padEnd(8);
  const step = e.step ? ` ${e.step}` : '';
  const ids = e.requestIds.length ? ` [${e.requestIds.join(' ')}]` : '';
  return `${at} ${e.type}${step}: ${e.message ?? ''}${ids}`;
}
