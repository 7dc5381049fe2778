// Runs one step under its timeout, with an AbortSignal, background lease heartbeats and
// request-id collection. Never throws: whatever happens becomes a StepOutcome.
import { issuesSummary } from '../config/zod-issues';
import type { Job, JobProgress } from '../jobs/types';
import { publicContext, type StepOutcome } from './decide';
import type { AnyStep, StepContext, StepLogger } from './define';
import { LeaseLostError, NonRetryableError, StepTimeoutError } from './errors';
import { isStepResult } from './results';

export interface ExecuteOptions {
  job: Job;
  step: AnyStep;
  now: () => number;
  leaseMs: number;
  /** The engine's timeScale, for ctx.scaled(). */
  timeScale?: number;
  /** store.heartbeat bound to this job and owner. */
  heartbeat: (progress?: JobProgress) => Promise<boolean>;
  log: StepLogger;
}

export interface Execution {
  outcome: StepOutcome;
  requestIds: string[];
  leaseLost: boolean;
  /** The step's run time on the engine's clock (input check included). */
  durationMs: number;
}

function inputOf(job: Job, context: Record<string, unknown>): Record<string, unknown> {
  const params = typeof job.params === 'object' && job.params !== null ? (job.params as Record<string, unknown>) : {};
  return { ...params, ...context };
}

export async function executeStep(opts: ExecuteOptions): Promise<Execution> {
  const { job, step } = opts;
  const started = opts.now();
  const elapsed = (): number => Math.max(0, opts.now() - started);
  const requestIds: string[] = [];
  const context = Object.freeze(publicContext(job.context));
  let leaseLost = false;

  let input: unknown;
  if (step.input) {
    const parsed = step.input.safeParse(inputOf(job, context));
    if (!parsed.success) {
      const summary = issuesSummary(parsed.error);
      const error = new NonRetryableError(`invalid input for step "${step.name}": ${summary}`, { code: 'invalid_input' });
      return { outcome: { kind: 'threw', error }, requestIds, leaseLost, durationMs: elapsed() };
    }
    input = parsed.data;
  }

  const controller = new AbortController();
  const heartbeat = async (progress?: JobProgress): Promise<boolean> => {
    if (leaseLost) return false;
    let ok: boolean;
    try {
      ok = await opts.heartbeat(progress);
    } catch (err) {
      // A store hiccup is not a lost lease; the commit guard decides in the end.
      opts.log.warn('heartbeat failed', { error: String(err) });
      return true;
    }
    if (!ok) {
      leaseLost = true;
      controller.abort(new LeaseLostError(job.id));
    }
    return ok;
  };

  const ctx: StepContext<unknown> = {
    job: Object.freeze({ ...job, context }),
    params: job.params,
    input,
    context,
    attempt: job.attempt,
    signal: controller.signal,
    now: opts.now,
    scaled: (ms) => Math.max(1, Math.round(ms * (opts.timeScale ?? 1))),
    heartbeat,
    recordRequestId(id) {
      if (typeof id === 'string' && id.length > 0 && !requestIds.includes(id)) requestIds.push(id);
    },
    log: opts.log,
  };

  const timer = setTimeout(() => controller.abort(new StepTimeoutError(step.name, step.timeout)), step.timeout);
  // Keep the lease alive for steps that take a while without calling heartbeat themselves.
  const beat = setInterval(() => void heartbeat(), Math.max(50, Math.floor(opts.leaseMs / 3)));
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<StepOutcome>((resolve) => {
    onAbort = () => resolve({ kind: 'threw', error: controller.signal.reason });
    controller.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const ran = (async (): Promise<StepOutcome> => {
      try {
        const r: unknown = await step.run(ctx);
        if (!isStepResult(r)) {
          return {
            kind: 'threw',
            error: new NonRetryableError(`step "${step.name}" returned ${JSON.stringify(r) ?? String(r)}, not done/wait/retry/fail`, {
              code: 'bad_step_result',
            }),
          };
        }
        return { kind: 'result', result: r };
      } catch (error) {
        return { kind: 'threw', error };
      }
    })();
    // A step that ignores its signal must not hold the job past its timeout: the race lets
    // the engine move on (its late side effects are covered by step idempotency).
    const outcome = await Promise.race([ran, aborted]);
    return { outcome, requestIds: [...requestIds], leaseLost, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
    clearInterval(beat);
    if (onAbort) controller.signal.removeEventListener('abort', onAbort);
  }
}
