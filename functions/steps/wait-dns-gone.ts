// After a move deleted its source to keep the hostname: poll DNS until the source's host
// name no longer resolves, so the new server can take the name (the DNS service drops a
// deleted VM's record on its own schedule, about a quarter of an hour). The deadline
// (config dns.expiryWait) makes it a clear failure instead of a wait without end; the
// cleaned image is left in the destination then (the job's cleanup keeps it: it is the
// only copy of the disk).
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { WorkflowDeps } from '../workflows/deps';
import { minutes, overdue, permanent, RETRY } from '../workflows/step-support';

// sourceGoneAt is optional only in the type (wait-source-gone runs under the same condition)
const input = z.object({ serverName: z.string(), sourceGoneAt: z.number().optional(), cleanedImageId: z.string() });
const output = z.object({ hostname: z.string(), dnsGoneAt: z.number() });

export function hostnameOf(serverName: string, domain: string | undefined): string {
  return domain ? `${serverName}.${domain}` : serverName;
}

export function waitDnsGoneStep(deps: WorkflowDeps) {
  return step({
    name: 'wait-dns-gone',
    input,
    output,
    retry: RETRY.poll,
    // the record goes on the DNS service's schedule: a slow poll is enough
    wait: { baseMs: 10_000, maxMs: 60_000 },
    timeout: 60_000,
    async run(ctx) {
      const { serverName, cleanedImageId } = ctx.input;
      const sourceGoneAt = ctx.input.sourceGoneAt ?? ctx.job.startedAt ?? deps.now();
      const name = hostnameOf(serverName, deps.config.dnsDomain);
      if (!deps.hostResolves) {
        return fail(permanent(`cannot ask DNS about ${name} here; the cleaned image ${cleanedImageId} is kept`, { code: 'dns_unavailable' }));
      }
      if (!(await deps.hostResolves(name))) return done({ hostname: name, dnsGoneAt: deps.now() });
      const limit = deps.config.dnsExpiryWaitMs;
      if (overdue(deps, sourceGoneAt, limit)) {
        return fail(
          permanent(
            `${name} still resolves ${minutes(limit)} after the source was deleted; the cleaned image ${cleanedImageId} is kept for a server made by hand`,
            { code: 'dns_timeout' },
          ),
        );
      }
      await ctx.heartbeat({ phase: `waiting for ${name} to expire from DNS` });
      return wait({ reason: `${name} still resolves` });
    },
  });
}
