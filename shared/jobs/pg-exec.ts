import type { CompiledQuery, RawBuilder } from 'kysely';
import type { JobDb } from './job-db';

type Rows = Record<string, unknown>[];

// statement text → name; cached statements hand back the same string, whose hash V8 keeps
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    if (names.size >= 1024) names.clear();
    name = `snapflow_${hash(text)}`;
    names.set(text, name);
  }
  return name;
}

// 53-bit string hash (cyrb53): names a prepared statement after its SQL text.
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * Run a Kysely-built statement on PostgreSQL as a NAMED prepared statement: the server parses
 * and plans it once per connection instead of on every call. Measured on the 2-core bench
 * box: an unnamed parameterised SELECT by id 0.36 ms, the same named 0.17 ms; the claim
 * CTE's planning alone was 0.33 ms. The SQL text is the name's key, so statements with a
 * different shape (other patch fields, other number of kinds) get their own name.
 */
export async function execPg(jdb: JobDb, query: RawBuilder<unknown> | CompiledQuery): Promise<Rows> {
  const compiled = 'compile' in query ? query.compile(jdb.db) : query;
  if (!jdb.pgPool) return (await jdb.db.executeQuery(compiled)).rows as Rows;
  const res = await jdb.pgPool.query({
    name: statementName(compiled.sql),
    text: compiled.sql,
    values: compiled.parameters as unknown[],
  });
  return res.rows as Rows;
}
