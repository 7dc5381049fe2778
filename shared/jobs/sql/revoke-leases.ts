import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { runAtomic } from '../atomic';
import type { JobDb } from '../job-db';
import type { RevokeLeasesOptions } from '../types';
import { bigintValue, EVENT_COLUMNS, jsonValue, textValue } from './event-insert';

type Frag = RawBuilder<unknown>;

const DEFAULT_MESSAGE = 'lease revoked: its owner is known to be gone';

/**
 * Every live lease (of `kinds`, not `exceptOwner`'s) expires now, with a `lease.revoked`
 * event naming the owner it was taken from; the owner stays recorded, so the next claim()
 * is an ordinary reclaim (attempt + 1, `lease.expired`). Returns how many leases it revoked.
 * - PostgreSQL: one statement, the events read the UPDATE's RETURNING.
 * - SQLite / D1: [INSERT events SELECT … WHERE <same>, UPDATE … WHERE <same>] in one
 *   transaction / batch; the event insert changes no job, so both statements match the same rows.
 */
export async function revokeLeases(jdb: JobDb, opts: RevokeLeasesOptions, now: number): Promise<number> {
  const kinds = opts.kinds ?? [];
  const where = (alias: string): Frag => {
    const col = (c: string) => sql.ref(`${alias}.${c}`);
    return sql`${col('state')} = 'running' and ${col('lease_expires_at')} > ${now}
      ${kinds.length > 0 ? sql`and ${col('kind')} in (${sql.join(kinds)})` : sql``}
      ${opts.exceptOwner !== undefined ? sql`and ${col('lease_owner')} <> ${opts.exceptOwner}` : sql``}`;
  };
  const owner = (alias: string): Frag =>
    jdb.dialect === 'postgres'
      ? sql`jsonb_build_object('owner', ${sql.ref(`${alias}.lease_owner`)})`
      : sql`json_object('owner', ${sql.ref(`${alias}.lease_owner`)})`;
  const event = (alias: string): Frag => {
    const col = (c: string) => sql.ref(`${alias}.${c}`);
    return sql`${EVENT_COLUMNS} select ${col('id')}, ${bigintValue(now)}, ${textValue('lease.revoked')},
      ${textValue('running')}, ${textValue('running')}, ${col('step')}, ${col('attempt')},
      ${textValue(opts.message ?? DEFAULT_MESSAGE)}, ${jsonValue(jdb.dialect, [])}, ${owner(alias)}`;
  };
  const sets = sql`lease_expires_at = ${now}, updated_at = ${now}`;

  if (jdb.dialect === 'postgres') {
    const rows = await sql<{ n: number }>`with u as (update jobs j set ${sets} where ${where('j')} returning j.*),
      e as (${event('u')} from u) select count(*) as n from u`.execute(jdb.db);
    return Number(rows.rows[0]?.n ?? 0);
  }
  const [, updated] = await runAtomic(jdb, [
    sql`${event('j')} from jobs j where ${where('j')}`.compile(jdb.db),
    sql`update jobs as j set ${sets} where ${where('j')} returning id`.compile(jdb.db),
  ]);
  return updated?.length ?? 0;
}
