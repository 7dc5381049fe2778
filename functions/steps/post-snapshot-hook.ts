// POST {job, server, image} to the configured callback once the snapshot is complete
// (e.g. to resync the guest's clock after a stop or a quiesce). Any failure is retried
// (HookError says so: retryable); the workflow places it only when a URL is configured.
// The URL may embed a secret, so it never appears in an error or a log line. A hook that
// keeps failing does not fail the job: the snapshot is good, and failing would run the
// cleanup that deletes it.
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { WorkflowDeps } from '../workflows/deps';
import { RETRY } from '../workflows/step-support';

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  serverName: z.string(),
  imageId: z.string(),
  imageName: z.string().nullish(),
  volumeSnapshotIds: z.array(z.string()).default([]),
});

const output = z.object({ hook: z.string() });

class HookError extends Error {
  readonly retryable = true;
  readonly code = 'hook_failed';
  constructor(
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'HookError';
  }
}

export function postSnapshotHookStep(deps: WorkflowDeps) {
  return step({
    name: 'post-snapshot-hook',
    input,
    output,
    retry: RETRY.hook,
    timeout: deps.config.postSnapshotHookTimeoutMs + 5_000,
    async run(ctx) {
      const url = deps.config.postSnapshotHookUrl;
      if (!url) return done({ hook: 'not configured' });
      const inp = ctx.input;
      const body = {
        job: ctx.job.id,
        server: { id: inp.serverId, name: inp.serverName, cloud: inp.cloud },
        image: { id: inp.imageId, name: inp.imageName ?? null, volumeSnapshotIds: inp.volumeSnapshotIds },
      };
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(deps.config.postSnapshotHookTimeoutMs)]);
      try {
        const res = await deps.fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `${ctx.job.id}:post-snapshot` },
          body: JSON.stringify(body),
          signal,
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return done({ hook: `answered ${res.status}` });
        throw new HookError(`post-snapshot hook answered ${res.status}`, res.status);
      } catch (err) {
        // Never echo a fetch error: undici's messages can contain the URL.
        const msg = err instanceof HookError ? err.message : `post-snapshot hook unreachable (${(err as { name?: string })?.name ?? 'error'})`;
        if (ctx.attempt >= RETRY.hook.maxAttempts) {
          ctx.log.warn('post-snapshot hook gave up', { jobId: ctx.job.id, error: msg });
          return done({ hook: `failed: ${msg}` });
        }
        throw new HookError(msg, err instanceof HookError ? err.httpStatus : undefined);
      }
    },
  });
}
