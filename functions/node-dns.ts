// Node's answer to "does this host name still resolve?" for moves that keep the hostname:
// node:dns/promises asking the configured name servers (the system's when none), A then
// AAAA. Only "no such name / no data" means gone; a timeout or a refused query throws, so
// the step retries instead of taking an outage for an expired record.
import { Resolver } from 'node:dns/promises';

const GONE = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

export function nodeHostResolver(opts: { servers: readonly string[]; timeoutMs?: number }): (name: string) => Promise<boolean> {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 5_000, tries: 2 });
  if (opts.servers.length > 0) resolver.setServers([...opts.servers]);
  async function has(name: string, type: 'A' | 'AAAA'): Promise<boolean> {
    try {
      return (await resolver.resolve(name, type)).length > 0;
    } catch (err) {
      if (GONE.has((err as { code?: string }).code ?? '')) return false;
      throw err;
    }
  }
  return async (name) => (await has(name, 'A')) || (await has(name, 'AAAA'));
}
