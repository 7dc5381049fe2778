// Read-only view of a target's job table for bench/nightly.ts: row counts to sample while
// the run goes on, then every job and event to check and profile it. A target whose table
// lives elsewhere (D1 under wrangler dev) supplies its own JobTableReader.
import Database from 'better-sqlite3';
import pg from 'pg';

export interface TableCounts {
  jobs: number;
  events: number;
  unfinished: number;
}

export interface JobRecord {
  id: string;
  state: string;
  cloud: string;
  /** params.server: the server id the schedule resolved */
  server: string;
  attempt: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  leaseOwner: string | null;
  error: string | null;
}

export interface EventRecord {
  jobId: string;
  seq: number;
  at: number;
  type: string;
  step: string | null;
  toState: string | null;
  message: string | null;
  /** step.wait / step.retry: when the job is due again */
  runAfter: number | null;
}

export interface JobTableReader {
  counts(): Promise<TableCounts>;
  jobs(): Promise<JobRecord[]>;
  events(): Promise<EventRecord[]>;
  close(): Promise<void>;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

function toJob(r: Record<string, unknown>): JobRecord {
  return {
    id: String(r.id),
    state: String(r.state),
    cloud: String(r.cloud),
    server: String(r.server),
    attempt: num(r.attempt),
    createdAt: num(r.created_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    leaseOwner: text(r.lease_owner),
    error: text(r.error),
  };
}

function toEvent(r: Record<string, unknown>): EventRecord {
  return {
    jobId: String(r.job_id),
    seq: num(r.seq),
    at: num(r.at),
    type: String(r.type),
    step: text(r.step),
    toState: text(r.to_state),
    message: text(r.message),
    runAfter: numOrNull(r.run_after),
  };
}

const UNFINISHED = `state in ('queued','running','waiting')`;

/** The service's SQLite file, opened read-only (WAL: the reader never blocks its writer). */
export function sqliteTableReader(path: string): JobTableReader {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const counts = db.prepare(`select (select count(*) from jobs) as jobs, (select count(*) from job_events) as events,
    (select count(*) from jobs where ${UNFINISHED}) as unfinished`);
  return {
    counts: async () => {
      const r = counts.get() as Record<string, unknown>;
      return { jobs: num(r.jobs), events: num(r.events), unfinished: num(r.unfinished) };
    },
    jobs: async () =>
      (
        db
          .prepare(`select id, state, json_extract(params, '$.cloud') as cloud, json_extract(params, '$.server') as server,
        attempt, created_at, started_at, finished_at, lease_owner, error from jobs order by seq`)
          .all() as Record<string, unknown>[]
      ).map(toJob),
    events: async () =>
      (
        db
          .prepare(`select job_id, seq, at, type, step, to_state, message, json_extract(data, '$.runAfter') as run_after
        from job_events order by seq`)
          .all() as Record<string, unknown>[]
      ).map(toEvent),
    close: async () => {
      db.close();
    },
  };
}

export function postgresTableReader(url: string): JobTableReader {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  return {
    counts: async () => {
      const r = (
        await pool.query(`select (select count(*) from jobs) as jobs, (select count(*) from job_events) as events,
        (select count(*) from jobs where ${UNFINISHED}) as unfinished`)
      ).rows[0] as Record<string, unknown>;
      return { jobs: num(r.jobs), events: num(r.events), unfinished: num(r.unfinished) };
    },
    jobs: async () =>
      (
        (
          await pool.query(`select id, state, params->>'cloud' as cloud, params->>'server' as server, attempt, created_at,
        started_at, finished_at, lease_owner, error from jobs order by seq`)
        ).rows as Record<string, unknown>[]
      ).map(toJob),
    events: async () =>
      (
        (
          await pool.query(`select job_id, seq, at, type, step, to_state, message, data->>'runAfter' as run_after
        from job_events order by seq`)
        ).rows as Record<string, unknown>[]
      ).map(toEvent),
    close: () => pool.end(),
  };
}
