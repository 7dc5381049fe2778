// Small pieces every step file shares: the named retry presets, the client of the step's
// cloud, permanent errors that keep the OpenStack request id, and time arithmetic. Delays
// are written at production scale: the engine applies its timeScale to them.
import type { RetryPolicy, WaitPolicy } from '../../shared/engine/backoff';
import type { StepContext } from '../../shared/engine/define';
import { NonRetryableError } from '../../shared/engine/errors';
import type { OpenStackClient } from '../../shared/openstack/client';
import type { WorkflowDeps } from './deps';

/**
 * How often and how patiently a step retries, by what it does (attempts include the first).
 *   read:          GETs that resolve what a job works on
 *   poll:          a wait step's read failing (the wait itself is a WaitPolicy)
 *   serverAction:  stop / start / rebuild: Nova answers 409 while another task runs, which
 *                  usually clears within minutes
 *   createImage:   Nova's createImage also 409s while someone else's snapshot runs on the
 *                  server, for as long as that upload takes
 *   delete:        deleting images and their Cinder snapshots (idempotent walks)
 *   hook:          the post-snapshot callback (gives up without failing the job)
 */
export const RETRY = {
  read: { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 8 },
  poll: { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 10 },
  serverAction: { baseMs: 3_000, maxMs: 120_000, factor: 2, maxAttempts: 15 },
  createImage: { baseMs: 5_000, maxMs: 300_000, factor: 2, maxAttempts: 30 },
  delete: { baseMs: 3_000, maxMs: 120_000, factor: 2, maxAttempts: 12 },
  hook: { baseMs: 2_000, maxMs: 60_000, factor: 2, maxAttempts: 5 },
} as const satisfies Record<string, Required<RetryPolicy>>;

/** Adaptive polling: `busy` for something else to finish first, the others for a resource in transition. */
export const POLL = {
  busy: { baseMs: 2_000, maxMs: 30_000 },
  serverTransition: { baseMs: 1_000, maxMs: 30_000 },
  image: { baseMs: 1_000, maxMs: 60_000 },
  volume: { baseMs: 2_000, maxMs: 60_000 },
} as const satisfies Record<string, Required<WaitPolicy>>;

/**
 * The next poll of a change that started at `since`: base × 1, 3, 7, 15 … after it, the
 * doubling schedule anchored at the start instead of at each poll's end (where every poll's
 * call, commit and claim would add to the next wait), never further than maxMs from now.
 */
export function nextPollAt(since: number, now: number, baseMs: number, maxMs: number): number {
  let k = 1;
  while (since + baseMs * (2 ** k - 1) <= now && k < 60) k++;
  return Math.min(since + baseMs * (2 ** k - 1), now + maxMs);
}

/** The client of the step's cloud; every call's request id lands on the step's event. */
export function onCloud(deps: WorkflowDeps, ctx: StepContext<{ cloud: string }>): OpenStackClient {
  return deps.openstack(ctx.input.cloud, ctx);
}

/** A failure retrying cannot fix; carries the request id of the call that showed it. */
export function permanent(message: string, opts: { code?: string; cause?: unknown } = {}): NonRetryableError {
  const err = new NonRetryableError(message, { code: opts.code ?? 'failed', cause: opts.cause });
  const c = opts.cause as { requestId?: unknown; service?: unknown } | undefined;
  if (c && typeof c === 'object') {
    // Duck-typed by the engine's toJobError: the job error then names the OpenStack request.
    if (typeof c.requestId === 'string') Object.assign(err, { requestId: c.requestId });
    if (typeof c.service === 'string') Object.assign(err, { service: c.service });
  }
  return err;
}

/** True once `since + limitMs` has passed. */
export function overdue(deps: WorkflowDeps, since: number, limitMs: number): boolean {
  return deps.now() - since > limitMs;
}

export function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/** Glance's created_at as epoch ms (0 when missing, so such an image sorts oldest). */
export function createdAtMs(image: { created_at?: string | undefined }): number {
  const t = image.created_at ? Date.parse(image.created_at) : NaN;
  return Number.isFinite(t) ? t : 0;
}
