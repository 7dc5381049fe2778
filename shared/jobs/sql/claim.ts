// Claim: ONE atomic statement that picks the oldest claimable job and sets a lease.
// Measured 2026-11-26 with `BENCH_ROUNDS=3 npx tsx bench/job-table.ts 4000` (best of 3; 2-core
// box shared with other work, load 2–5; one job = claim + complete = 2 transitions + 2 event
// rows), old and new code run back to back on the same box:
//                                 jobs/s 1w / 4w   worker CPU/job 1w/4w   PG CPU/job 1w/4w
//   graphile-worker 0.16 (run A)  1,938 / 2,535    0.31 / 0.50 ms        0.22 / 0.25 ms
//   snapflow PG, 0001 indexes     1,533 / 2,142    0.34 / 0.57 ms        0.34 / 0.34 ms
//   graphile-worker 0.16 (run B)  2,076 / 2,643    0.28 / 0.48 ms        0.21 / 0.25 ms
//   snapflow PG, two-branch claim 1,526 / 2,094    0.33 / 0.56 ms        0.35 / 0.37 ms
//     → snapflow/graphile-worker 0.74x (1 worker), 0.79x (4 workers); six runs of either
//       version ranged 0.62x–0.86x (1w) and 0.77x–0.97x (4w): the bench cannot tell them apart
//   snapflow SQLite               3,703 / 2,284 jobs/s = 7,405 / 4,568 transitions/s
// The gap is the writes, not the scan: per job snapflow makes two non-HOT UPDATEs (the row
// is kept) and two job_events INSERTs, graphile-worker one UPDATE and one DELETE. A/B on one
// connection, PG CPU/job: snapflow 0.29 ms, its statements without the event CTEs 0.24 ms,
// graphile-style UPDATE … SKIP LOCKED + DELETE on the same table 0.15–0.20 ms.
// What the two-branch claim (0002 indexes) does change: with 4,000 claimed jobs still running
// ahead of the queue head, a claim cost 0.65 ms of PG CPU (every running row heap-fetched and
// rejected) and now 0.16 ms; each claim also writes one partial index entry instead of two.
// Named prepared statements + the statement cache took PostgreSQL (1 worker) from 414 to
// ~1,500 jobs/s.

import type { CompiledQuery, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb } from '../job-db';
import { execPg } from '../pg-exec';
import { rowToJob } from '../row-mapping';
import type { ClaimOptions, Job, NewJobEvent } from '../types';
import type { Bind } from './event-insert';
import { EVENT_COLUMNS, eventSelect, insertEventSelect, textValue } from './event-insert';
import { cachedQuery, Slot, slot } from './statement-cache';

type Frag = RawBuilder<unknown>;
const UNFINISHED = sql.raw(`('queued','running','waiting')`);

/** Statement inputs: real values, or Slots when the statement is built for the cache. */
export interface ClaimParams {
  now: unknown;
  expires: unknown;
  owner: unknown;
  kinds: unknown[];
  jobId?: unknown;
  /** Only jobs that never started (ClaimOptions.notStarted); a constant of the SQL text. */
  notStarted?: boolean;
  /**
   * PostgreSQL commit-and-claim (commit-and-claim.ts): the job whose commit is a CTE of the
   * same statement. Its update is invisible to this statement's snapshot, so the job is
   * excluded from the candidates, and `released` (SQL naming it when its commit matched and
   * ended it) drops it from the lock FIFO and concurrency counts it no longer holds.
   */
  committing?: { id: unknown; released: Frag | null };
}

/**
 * Claimable (alias j): queued/waiting whose run_after has come or whose cancel was requested
 * (its cleanup must not sit out a long wait), or running with an expired lease (reclaim); the
 * lock key's oldest unfinished job only (FIFO by seq); and, with a concurrency key, fewer
 * than concurrency_limit OTHER started unfinished jobs of that key.
 */
export function claimableWhere(p: ClaimParams): Frag {
  return sql`j.state in ${UNFINISHED}
    and (${readyState(p)} or ${expiredState(p)})
    and ${claimGates(p)}`;
}

function readyState(p: ClaimParams): Frag {
  return sql`(j.state in ('queued','waiting') and (j.run_after <= ${p.now} or j.cancel_requested <> 0))`;
}
function expiredState(p: ClaimParams): Frag {
  return sql`(j.state = 'running' and j.lease_expires_at <= ${p.now})`;
}

/** The lock-key FIFO, concurrency and kind/id filters every claimable job must also pass. */
function claimGates(p: ClaimParams): Frag {
  const kinds = p.kinds.length > 0 ? sql`and j.kind in (${sql.join(p.kinds)})` : sql``;
  const only = p.jobId !== undefined ? sql`and j.id = ${p.jobId}` : sql``;
  const fresh = p.notStarted ? sql`and j.started_at is null` : sql``;
  const c = p.committing;
  const notSelf = c ? sql`and j.id <> ${c.id}` : sql``;
  const released = (alias: string) => (c?.released ? sql`and ${sql.ref(`${alias}.id`)} is distinct from ${c.released}` : sql``);
  // The concurrency gate in two conjuncts, the uncorrelated one for jobs not started first
  // (SQLite keeps the written order, PostgreSQL orders by cost): it rejects the queued jobs of
  // full keys before any correlated subquery runs for them.
  return sql`(j.started_at is not null or j.concurrency_key is null or j.concurrency_limit is null or ${belowLimit(released('f'))})
    and (j.started_at is null or j.concurrency_key is null or j.concurrency_limit is null or (
      select count(*) from jobs k where k.concurrency_key = j.concurrency_key and k.id <> j.id
        and k.started_at is not null and k.state in ${UNFINISHED} ${released('k')}) < j.concurrency_limit)
    and (j.lock_key is null or not exists (
      select 1 from jobs o where o.lock_key = j.lock_key and o.seq < j.seq and o.state in ${UNFINISHED} ${released('o')}))
    ${kinds} ${only} ${fresh} ${notSelf}`;
}

/**
 * A job that has not started is below its limit unless its key already has `limit` started
 * unfinished jobs: (key, limit) is then one of the pairs (key, 1..started count) the
 * subquery lists. Uncorrelated, so computed once per statement: a claim's scan passes every
 * queued job of a full key (a nightly keeps hundreds queued behind a per-project limit,
 * bench/nightly.ts), and a correlated count for each of them was most of a hand-over's cost.
 */
function belowLimit(released: Frag): Frag {
  return sql`(j.concurrency_key, j.concurrency_limit) not in (
      select f.concurrency_key, cast(row_number() over (partition by f.concurrency_key) as integer) from jobs f
      where f.concurrency_key is not null and f.started_at is not null and f.state in ${UNFINISHED} ${released})`;
}

// Column updates shared by both dialects; `attempt` counts claims of the current step,
// so a reclaim (previous state running) bumps it and a resume after a wait does not.
function claimSets(p: ClaimParams, prevState: Frag): Frag {
  return sql`state = 'running', lease_owner = ${p.owner}, lease_expires_at = ${p.expires},
    attempt = case when ${prevState} = 'running' then jobs.attempt + 1 when jobs.attempt < 1 then 1 else jobs.attempt end,
    started_at = coalesce(jobs.started_at, ${p.now}), updated_at = ${p.now}`;
}

function nextAttempt(a: string): Frag {
  return sql.raw(`case when ${a}.state = 'running' then ${a}.attempt + 1 when ${a}.attempt < 1 then 1 else ${a}.attempt end`);
}

const EXPIRED: NewJobEvent = {
  type: 'lease.expired',
  fromState: null,
  toState: null,
  step: null,
  attempt: null,
  message: 'lease expired; reclaimed',
  requestIds: [],
  data: null,
};
const CLAIMED: NewJobEvent = { ...EXPIRED, type: 'claimed', message: null };

/** The claim's Slots and this call's values for them. */
export function claimSlots(opts: ClaimOptions, now: number): { slots: ClaimParams; values: Record<string, unknown> } {
  const kinds = opts.kinds ?? [];
  const slots: ClaimParams = {
    now: slot('now'),
    expires: slot('expires'),
    owner: slot('owner'),
    kinds: kinds.map((_, i) => slot(`k${i}`)),
    jobId: opts.jobId !== undefined ? slot('jobId') : undefined,
    notStarted: opts.notStarted === true,
  };
  const values: Record<string, unknown> = { now, expires: now + opts.leaseMs, owner: opts.owner, jobId: opts.jobId };
  for (const [i, k] of kinds.entries()) values[`k${i}`] = k;
  return { slots, values };
}

/** Everything about the claim options that changes the SQL text. */
export function claimShape(opts: ClaimOptions): string {
  return `${opts.kinds?.length ?? 0}:${opts.jobId !== undefined}:${opts.notStarted === true}`;
}

/** Cached statement shape + this call's values; `exclude`: a job id never to claim. */
function compiled(jdb: JobDb, name: string, opts: ClaimOptions, now: number, build: (p: ClaimParams) => Frag, exclude?: string): CompiledQuery {
  const { slots, values } = claimSlots(opts, now);
  if (exclude === undefined) return cachedQuery(jdb.db, `${jdb.dialect}:claim:${name}:${claimShape(opts)}`, () => build(slots), values);
  const p = { ...slots, committing: { id: slot('exclude'), released: null } };
  return cachedQuery(jdb.db, `${jdb.dialect}:claim:${name}:${claimShape(opts)}:x`, () => build(p), { ...values, exclude });
}

export async function claim(jdb: JobDb, opts: ClaimOptions, now: number): Promise<Job | null> {
  return jdb.dialect === 'postgres' ? claimPostgres(jdb, opts, now) : claimSqlite(jdb, opts, now);
}

/**
 * SQLite / D1: [lease.expired event, claimed event, guarded UPDATE … WHERE id = (SELECT …)
 * RETURNING *] in one BEGIN IMMEDIATE transaction / D1 batch. The write lock is held across
 * the three, so the candidate sub-select names the same row in each statement.
 */
async function claimSqlite(jdb: JobDb, opts: ClaimOptions, now: number): Promise<Job | null> {
  const rows = (await runAtomic(jdb, claimSqliteStatements(jdb, opts, now)))[2];
  const row = rows?.[0];
  return row ? rowToJob(jdb.dialect, row) : null;
}

/**
 * The claim's statements for a SQLite/D1 atomic batch; the claimed row is the third's result.
 * `exclude`: a job that must not be the one claimed (the job just committed in the same batch).
 */
export function claimSqliteStatements(jdb: JobDb, opts: ClaimOptions, now: number, exclude?: string): CompiledQuery[] {
  const cand = (p: ClaimParams) => sql`(select j.id from jobs j where ${claimableWhere(p)} order by j.seq limit 1)`;
  const expired = compiled(
    jdb,
    'expired',
    opts,
    now,
    (p) =>
      insertEventSelect(
        jdb.dialect,
        { ...EXPIRED, at: p.now as number },
        0,
        { jobId: sql`x.id`, fromState: sql`x.state`, toState: textValue('running'), step: sql`x.step`, attempt: sql`x.attempt` },
        sql`from jobs x where x.id = ${cand(p)} and x.state = 'running'`,
      ),
    exclude,
  );
  const claimed = compiled(
    jdb,
    'claimed',
    opts,
    now,
    (p) =>
      insertEventSelect(
        jdb.dialect,
        { ...CLAIMED, at: p.now as number, message: p.owner as string },
        0,
        { jobId: sql`x.id`, fromState: sql`x.state`, toState: textValue('running'), step: sql`x.step`, attempt: nextAttempt('x') },
        sql`from jobs x where x.id = ${cand(p)}`,
      ),
    exclude,
  );
  const update = compiled(
    jdb,
    'update',
    opts,
    now,
    (p) => sql`update jobs set ${claimSets(p, sql`jobs.state`)}
    where id = ${cand(p)} and state in ${UNFINISHED} returning *`,
    exclude,
  );
  return [expired, claimed, update];
}

/**
 * PostgreSQL: one statement. The candidate is locked with FOR UPDATE SKIP LOCKED so
 * concurrent claimers pass over each other's rows; the update and the events (lease.expired
 * before claimed, one INSERT … UNION ALL) are CTEs of the same statement (one round trip).
 *
 * The candidate is the lower seq of two branches, each its own ordered SKIP LOCKED scan:
 * ready jobs (partial index on queued/waiting, which a claimed job leaves) and expired
 * leases (index on running jobs' expiry, normally an empty range). One scan over all
 * unfinished jobs would heap-fetch and reject every running job older than the queue head
 * on every claim. The branch that loses keeps its row locked until this statement commits,
 * which only makes a concurrent claimer skip it for that instant, as SKIP LOCKED may anyway.
 *
 * A concurrency-limited job that has not started yet is NOT taken by this fast path: two
 * claimers could each count the other's start as not yet committed and both start. Such a
 * candidate is handed to claimLimited(), which serialises starts per key.
 */
export function claimStatement(p: ClaimParams, allowFreshLimited: boolean, before?: { ctes: Frag; select: Frag; events: Frag }): Frag {
  const fresh = allowFreshLimited ? sql`true` : sql`(jobs.concurrency_key is null or jobs.concurrency_limit is null or c.started_at is not null)`;
  // constant event fields as literals: fewer parameters to bind and send on every claim
  const lit: Bind = (v) => (v instanceof Slot ? v : sql.lit(v));
  const expired = eventSelect(
    'postgres',
    { ...EXPIRED, at: p.now as number },
    0,
    { jobId: sql`u.id`, fromState: sql`u.prev_state`, toState: textValue('running', lit), step: sql`u.step`, attempt: sql`u.attempt - 1` },
    sql`from u where u.prev_state = 'running'`,
    lit,
  );
  const claimed = eventSelect(
    'postgres',
    { ...CLAIMED, at: p.now as number, message: p.owner as string },
    0,
    { jobId: sql`u.id`, fromState: sql`u.prev_state`, toState: textValue('running', lit), step: sql`u.step`, attempt: sql`u.attempt` },
    sql`from u`,
    lit,
  );
  const branch = (state: Frag) => sql`select j.id, j.state, j.started_at, j.seq from jobs j
    where ${state} and ${claimGates(p)} order by j.seq limit 1 for update skip locked`;
  // A hand-over (commit-and-claim) takes ready jobs only. Reclaiming a crashed worker's
  // expired lease is left to plain claims (the idle loop, the safety tick, targeted
  // wake-ups), which also run in a busy system: the lease-expiry branch cost a hand-over 10%
  // of its PG CPU (bench/hand-over.ts, 5 rounds: 0.258 -> 0.233 ms per job).
  const candidates = before
    ? sql`c as (${branch(readyState(p))}),`
    : sql`r as (${branch(readyState(p))}),
    x as (${branch(expiredState(p))}),
    c as (select * from r union all select * from x order by seq limit 1),`;
  const ctes = sql`${candidates}
    u as (update jobs set ${claimSets(p, sql`c.state`)}
      from c where jobs.id = c.id and ${fresh}
      returning jobs.*, c.state as prev_state),
    e as (${EVENT_COLUMNS} ${before ? sql`${before.events} union all ${claimed}` : sql`${expired} union all ${claimed}`})`;
  if (!before) return sql`with ${ctes} select c.id as candidate_id, u.* from c left join u on u.id = c.id`;
  // one row even when nothing is claimable: the caller still needs the commit's answer
  return sql`with ${before.ctes}, ${ctes}
    select ${before.select}, c.id as candidate_id, u.* from (select 1) one left join c on true left join u on u.id = c.id`;
}

async function claimPostgres(jdb: JobDb, opts: ClaimOptions, now: number): Promise<Job | null> {
  const row = (
    await execPg(
      jdb,
      compiled(jdb, 'pg', opts, now, (p) => claimStatement(p, false)),
    )
  )[0];
  return claimedFromRow(jdb, row, opts, now);
}

/** The claim statement's row: the job it claimed, or the limited candidate it handed over. */
export async function claimedFromRow(jdb: JobDb, row: Record<string, unknown> | undefined, opts: ClaimOptions, now: number): Promise<Job | null> {
  if (!row || row.candidate_id === null || row.candidate_id === undefined) return null;
  if (row.id !== null && row.id !== undefined) return rowToJob(jdb.dialect, row);
  return claimLimited(jdb, { ...opts, jobId: row.candidate_id as string }, now);
}

/**
 * Start a concurrency-limited job: claim it, then take a transaction-scoped advisory lock on
 * its key and recount. Every such start takes the lock before committing, so whichever
 * commits second sees the first and rolls back when the limit would be exceeded.
 */
async function claimLimited(jdb: JobDb, opts: ClaimOptions, now: number): Promise<Job | null> {
  return jdb.db
    .transaction()
    .execute(async (trx) => {
      const q = compiled(jdb, 'pg-limited', opts, now, (p) => claimStatement(p, true));
      const row = (await trx.executeQuery(q)).rows[0] as Record<string, unknown> | undefined;
      if (!row || row.id === null || row.id === undefined) return null;
      const job = rowToJob(jdb.dialect, row);
      if (job.concurrencyKey === null || job.concurrencyLimit === null) return job;
      await sql`select pg_advisory_xact_lock(hashtext(${`snapflow:concurrency:${job.concurrencyKey}`}))`.execute(trx);
      const count = await sql<{ n: number }>`select count(*) as n from jobs where concurrency_key = ${job.concurrencyKey}
        and started_at is not null and state in ${UNFINISHED}`.execute(trx);
      if (Number(count.rows[0]?.n ?? 0) > job.concurrencyLimit) throw new LimitReached();
      return job;
    })
    .catch((err: unknown) => {
      if (err instanceof LimitReached) return null;
      throw err;
    });
}

class LimitReached extends Error {}
