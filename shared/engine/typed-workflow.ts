// Typed steps and the workflow builder. A step declares the zod schemas of what it reads
// (`input`, over the job's params and the outputs of earlier steps) and what it produces
// (`output`). The builder threads the context type through the steps in order, so a step
// that reads a field no earlier step (nor the params) provides does not compile, and a
// step placed under a condition only contributes optional fields. The same placements
// decide, at run time, whether a step runs (`when` over params and config, `skipIf` over
// the context) and give the dry-run plan, so there is one source of truth per workflow.
import type { z } from 'zod';
import { issuesSummary } from '../config/zod-issues';
import type { RetryPolicy, WaitPolicy } from './backoff';
import { type AnyStep, defineStep, defineWorkflow, type JobTarget, type StepContext, type WorkflowDefinition } from './define';
import { NonRetryableError } from './errors';
import { type DoneResult, done, type FailResult, type RetryResult, type WaitResult } from './results';

export type Fields = Record<string, unknown>;

export type TypedResult<Out> = DoneResult<Partial<Out>> | WaitResult | RetryResult | FailResult;

export interface StepSpec<S extends z.ZodType, Out extends Fields> {
  name: string;
  /** What the step reads, from `{ ...params, ...context }` (defaults fill what may be absent). */
  input: S;
  /** What its done() patch may hold; checked when it commits. */
  output: z.ZodType<Out>;
  retry: RetryPolicy;
  wait?: WaitPolicy;
  /** ms; the engine aborts ctx.signal and counts it as a retryable timeout. */
  timeout: number;
  /** Creates or changes something in a cloud: once it ran, a cancel or failure runs cleanup. */
  mutating?: boolean;
  /** Only reads: it also runs in a dry run submitted as a job (the others are skipped). */
  readOnly?: boolean;
  run(ctx: StepContext<z.output<S>>): TypedResult<Out> | Promise<TypedResult<Out>>;
}

/**
 * A step as workflows compose it. `accepts` exists only in the type: it makes a step usable
 * wherever the context has at least the fields its input needs (and no other way round).
 */
export interface Step<In, Out extends Fields> {
  readonly name: string;
  readonly spec: StepSpec<z.ZodType, Out>;
  readonly accepts?: (input: In) => void;
}

/** `In` is what the context must provide: the input schema's input side (a defaulted field may be absent). */
export function step<S extends z.ZodType, Out extends Fields>(spec: StepSpec<S, Out>): Step<z.input<S>, Out> {
  return { name: spec.name, spec: spec as unknown as StepSpec<z.ZodType, Out> };
}

export interface Placement<P, C, Cfg> {
  /** Whether the step belongs to this job at all (and to its plan); default always. */
  when?: (params: P, config: Cfg) => boolean;
  /** Decided at run time from what earlier steps found (e.g. only if this job stopped the server). */
  skipIf?: (context: C) => boolean;
}

interface Placed {
  step: Step<unknown, Fields>;
  placement: Placement<any, any, any>;
}

export interface WorkflowOptions<P, C> {
  /** At most one unfinished job per key runs at a time (e.g. `<cloud>/<server id>`). */
  lockKey?(params: P): string | null | undefined;
  concurrency?(params: P): { key: string; limit: number } | null | undefined;
  deadlineMs?: number;
  cleanupDeadlineMs?: number;
  /** The job's `result` on success. */
  result?(context: C, params: P): Fields;
  request?: z.ZodType;
  dryRun?: 'plan' | 'job';
  targets?(params: P): JobTarget[];
}

function isDryRun(params: unknown): boolean {
  return typeof params === 'object' && params !== null && (params as { dryRun?: unknown }).dryRun === true;
}

function runtimeStep(placed: Placed, config: unknown): AnyStep {
  const { spec } = placed.step;
  const { when, skipIf } = placed.placement;
  const skip = (rawParams: unknown, context: Fields): boolean => {
    const params = (typeof rawParams === 'object' && rawParams !== null ? rawParams : {}) as Fields;
    if (when && !when(params, config)) return true;
    if (isDryRun(params) && !spec.readOnly) return true;
    return skipIf?.({ ...params, ...context }) ?? false;
  };
  return defineStep({
    name: spec.name,
    retry: spec.retry,
    ...(spec.wait ? { wait: spec.wait } : {}),
    timeout: spec.timeout,
    ...(spec.mutating ? { mutating: true } : {}),
    ...(when || skipIf || !spec.readOnly ? { skip } : {}),
    async run(ctx) {
      const params = (typeof ctx.params === 'object' && ctx.params !== null ? ctx.params : {}) as Fields;
      const all = { ...params, ...ctx.context };
      // A step the engine could not pass over (the first of a job or of its cleanup) skips here.
      if (skip(ctx.params, ctx.context)) return done();
      const parsed = spec.input.safeParse(all);
      if (!parsed.success) {
        throw new NonRetryableError(`invalid input for step "${spec.name}": ${issuesSummary(parsed.error)}`, { code: 'invalid_input' });
      }
      const result = await spec.run({ ...ctx, input: parsed.data });
      if (result.kind === 'done' && result.patch !== undefined) {
        const out = spec.output.safeParse(result.patch);
        if (!out.success) {
          throw new NonRetryableError(`step "${spec.name}" produced an invalid output: ${issuesSummary(out.error)}`, { code: 'invalid_output' });
        }
      }
      return result as DoneResult | WaitResult | RetryResult | FailResult;
    },
  });
}

export class WorkflowBuilder<P extends Fields, C extends Fields, Cfg> {
  private constructor(
    private readonly kind: string,
    private readonly params: z.ZodType<P>,
    private readonly config: Cfg,
    private readonly placed: readonly Placed[],
    private readonly cleanups: readonly Placed[],
  ) {}

  static start<P extends Fields, Cfg>(kind: string, params: z.ZodType<P>, config: Cfg): WorkflowBuilder<P, P, Cfg> {
    return new WorkflowBuilder<P, P, Cfg>(kind, params, config, [], []);
  }

  /** The next step; its outputs are in the context of every later step. */
  step<O extends Fields>(s: Step<C, O>): WorkflowBuilder<P, C & O, Cfg> {
    return new WorkflowBuilder(this.kind, this.params, this.config, [...this.placed, { step: s as Step<unknown, Fields>, placement: {} }], this.cleanups);
  }

  /** A step that may not run: later steps see its outputs as optional. */
  maybe<O extends Fields>(s: Step<C, O>, placement: Placement<P, C, Cfg>): WorkflowBuilder<P, C & Partial<O>, Cfg> {
    return new WorkflowBuilder(this.kind, this.params, this.config, [...this.placed, { step: s as Step<unknown, Fields>, placement }], this.cleanups);
  }

  /**
   * Run (phase 'cleanup') when the job is cancelled or fails after a mutating step ran. The
   * context may be partial: the step gets the fields listed in `requires` as present (it is
   * skipped when one is missing) and every other field as optional.
   */
  cleanup<O extends Fields, K extends keyof C = never>(
    s: Step<P & Partial<C> & Pick<C, K>, O>,
    placement: { requires?: readonly K[]; skipIf?: (context: P & Partial<C>) => boolean } = {},
  ): WorkflowBuilder<P, C, Cfg> {
    const requires = (placement.requires ?? []) as readonly string[];
    const skipIf = placement.skipIf as ((c: Fields) => boolean) | undefined;
    const p: Placement<P, Fields, Cfg> = {
      skipIf: (c) => requires.some((k) => c[k] === undefined) || (skipIf?.(c) ?? false),
    };
    return new WorkflowBuilder(this.kind, this.params, this.config, this.placed, [...this.cleanups, { step: s as Step<unknown, Fields>, placement: p }]);
  }

  build(opts: WorkflowOptions<P, C> = {}): WorkflowDefinition<P> {
    const config = this.config;
    const placed = this.placed;
    return defineWorkflow<P>({
      kind: this.kind,
      params: this.params,
      steps: placed.map((p) => runtimeStep(p, config)),
      ...(this.cleanups.length ? { cleanup: this.cleanups.map((p) => runtimeStep(p, config)) } : {}),
      ...(opts.lockKey ? { lockKey: opts.lockKey } : {}),
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
      ...(opts.cleanupDeadlineMs !== undefined ? { cleanupDeadlineMs: opts.cleanupDeadlineMs } : {}),
      plan: (p) => placed.filter((x) => !x.placement.when || x.placement.when(p, config)).map((x) => x.step.name),
      ...(opts.result ? { result: (c, p) => opts.result!(c as C, p) } : {}),
      ...(opts.request ? { request: opts.request } : {}),
      ...(opts.dryRun ? { dryRun: opts.dryRun } : {}),
      ...(opts.targets ? { targets: opts.targets } : {}),
    });
  }
}

/** `workflow('snapshot', paramsSchema, config).step(…).maybe(…, { when }).build({ … })` */
export function workflow<P extends Fields, Cfg>(kind: string, params: z.ZodType<P>, config: Cfg): WorkflowBuilder<P, P, Cfg> {
  return WorkflowBuilder.start(kind, params, config);
}
