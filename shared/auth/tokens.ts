import { constantTimeEqual, sha256Hex } from './hash';
import type { Principal, Scope } from './principal';

/** A configured API token: only its sha256 is kept in memory. */
export interface TokenEntry {
  name: string;
  /** lowercase hex sha256 of the token */
  sha256: string;
  scopes: readonly Scope[];
  targets: readonly string[];
}

/**
 * The principal of a presented bearer token, or null. Every entry is compared (no early
 * exit), so the response time does not reveal which or how many entries were close.
 */
export async function authenticate(tokens: readonly TokenEntry[], presented: string): Promise<Principal | null> {
  const digest = await sha256Hex(presented);
  let found: TokenEntry | null = null;
  for (const t of tokens) {
    if (constantTimeEqual(digest, t.sha256) && found === null) found = t;
  }
  return found ? { name: found.name, scopes: [...found.scopes], targets: [...found.targets] } : null;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive). */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}
