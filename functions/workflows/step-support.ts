// Small pieces every step file shares: permanent errors that keep the OpenStack request
// id, time-scaled retry/poll policies, and the dry-run guard.
import type { RetryPolicy, WaitPolicy } from '../../shared/engine/backoff';
import { defineStep, type StepDefinition } from '../../shared/engine/define';
import { NonRetryableError } from '../../shared/engine/errors';
import { done } from '../../shared/engine/results';
import type { WorkflowDeps } from './deps';

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

export function scaledRetry(deps: WorkflowDeps, p: Required<RetryPolicy>): RetryPolicy {
  const s = deps.config.timeScale;
  return { ...p, baseMs: Math.max(1, Math.round(p.baseMs * s)), maxMs: Math.max(1, Math.round(p.maxMs * s)) };
}

export function scaledWait(deps: WorkflowDeps, p: Required<WaitPolicy>): WaitPolicy {
  const s = deps.config.timeScale;
  return { baseMs: Math.max(1, Math.round(p.baseMs * s)), maxMs: Math.max(1, Math.round(p.maxMs * s)) };
}

/** True once `since + limitMs` has passed. */
export function overdue(deps: WorkflowDeps, since: number, limitMs: number): boolean {
  return deps.now() - since > limitMs;
}

export function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

export function isDryRun(params: unknown): boolean {
  return typeof params === 'object' && params !== null && (params as { dryRun?: unknown }).dryRun === true;
}

/**
 * A dry run submitted as a job resolves what it can (read-only steps) and skips every
 * step wrapped here, so it touches nothing. (The HTTP layer normally answers dry runs with
 * engine.plan() without creating a job.)
 */
export function skipOnDryRun<I>(step: StepDefinition<I>): StepDefinition<I> {
  // The input schema is applied here, after the dry-run check: a skipped step's input
  // (e.g. the imageId of a create-image that never ran) does not exist.
  const { input: schema, ...rest } = step;
  return defineStep<I>({
    ...rest,
    run(ctx) {
      if (isDryRun(ctx.params)) return done();
      if (!schema) return step.run(ctx);
      const params = typeof ctx.params === 'object' && ctx.params !== null ? ctx.params : {};
      const parsed = schema.safeParse({ ...params, ...ctx.context });
      if (!parsed.success) {
        const summary = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw new NonRetryableError(`invalid input for step "${step.name}": ${summary}`, { code: 'invalid_input' });
      }
      return step.run({ ...ctx, input: parsed.data });
    },
  });
}

/** Glance's created_at as epoch ms (0 when missing, so such an image sorts oldest). */
export function createdAtMs(image: { created_at?: string | undefined }): number {
  const t = image.created_at ? Date.parse(image.created_at) : NaN;
  return Number.isFinite(t) ? t : 0;
}
