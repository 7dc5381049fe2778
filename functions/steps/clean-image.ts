// clean-image: hand the cleaning of an image (download, virt-sysprep, upload into the target
// project) to a sysprep runner, and wait until one reports it done, failed or lost. The first
// run reads the source image from Glance (its size and digests go into the task, so the
// runner can prove what it downloaded) and queues the task; every later run, including an
// attempt after a crash, finds that same task by (job, step, key). It never sleeps: the
// runner's report ends the wait at once (runner-task-service.ts wakes the job).
import { z } from 'zod';
import type { WaitPolicy } from '../../shared/engine/backoff';
import type { StepContext } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import type { RunnerTask } from '../../shared/jobs/runner-task';
import { orNull } from '../../shared/openstack/or-null';
import { imageOutcome, isFailed } from '../../shared/openstack/outcomes';
import { type CleanMode, MULTIHASH_ALGOS, TaskClean, TaskSource, TaskTarget } from '../../shared/runner/protocol';
import type { WorkflowDeps } from '../workflows/deps';
import type { RunnerStepDeps } from '../workflows/runner-step-deps';
import { minutes, permanent } from '../workflows/step-support';

/** What the workflow asks for, read from the job's params and the context so far. */
export interface CleanImageSpec {
  /** What stays the same across the step's attempts; default `<source cloud>/<source image id>`. */
  key?: string;
  /** `server` names the server as the job does: a runner token limited to targets is checked against it. */
  source: { cloud: string; imageId: string; server: string; serverId?: string | null };
  clean: { mode: CleanMode; deletePaths?: string[]; hostname?: string | null; slc6?: boolean; os?: 'LINUX' | 'WINDOWS' };
  /** `server`: the server the image is for (the targets check); the disk format is the source's (runners do not convert). */
  target: {
    cloud: string;
    server: string;
    name: string;
    containerFormat?: z.infer<typeof TaskTarget>['containerFormat'];
    visibility?: z.infer<typeof TaskTarget>['visibility'];
    properties?: Record<string, string>;
  };
}

export const cleanImageOutput = z.object({
  cleanedImageId: z.string(),
  cleanedImageBytes: z.number(),
  cleanedImageDigests: z.object({ source: z.record(z.string(), z.string()), target: z.record(z.string(), z.string()) }),
  cleanWarnings: z.array(z.string()),
});
export type CleanImageOutput = z.infer<typeof cleanImageOutput>;

export interface CleanImageOptions<C> {
  name?: string;
  spec(context: C): CleanImageSpec;
  /** How long the task may take, queue time included, before the step gives up (default 6 h). */
  deadlineMs?: number;
  /** How often the waiting step looks at its task; a runner's report wakes it at once anyway. */
  wait?: WaitPolicy;
}

const DEFAULT_DEADLINE_MS = 6 * 3_600_000;

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Where the task stands, for the step's wait reason (and so the job's events). */
function describe(task: RunnerTask, now: number): string {
  if (task.state === 'queued') return `runner task ${task.id} queued${task.attempt > 0 ? ` again after ${task.attempt} attempt(s)` : ''}`;
  if (task.leaseExpiresAt !== null && task.leaseExpiresAt <= now) {
    return `runner task ${task.id}: the lease of ${task.leaseOwner} expired ${minutes(now - task.leaseExpiresAt)} ago; waiting for a runner to take it again`;
  }
  const pct = task.bytesTotal > 0 ? ` ${Math.floor((task.bytesDone / task.bytesTotal) * 100)}%` : '';
  return `runner task ${task.id}: ${task.leaseOwner} ${task.phase ?? 'claimed it'}${pct} (attempt ${task.attempt})`;
}

export function cleanImageStep<C extends Fields>(deps: WorkflowDeps, runner: RunnerStepDeps, opts: CleanImageOptions<C>): Step<C, CleanImageOutput> {
  const name = opts.name ?? 'clean-image';
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;

  /** The task this step's first run queues: the source image as Glance has it now. */
  async function enqueue(ctx: StepContext<C>, spec: CleanImageSpec, key: string) {
    const image = await orNull(deps.openstack(spec.source.cloud, ctx).image.get(spec.source.imageId));
    const outcome = imageOutcome(image);
    if (isFailed(outcome)) return fail(permanent(`source image ${spec.source.imageId}: ${outcome.failed}`, { code: 'source_not_found' }));
    if (outcome === 'pending' || !image) return wait({ reason: `source image ${spec.source.imageId} ${image?.status ?? 'pending'}` });
    const algo = (MULTIHASH_ALGOS as readonly string[]).includes(image.os_hash_algo ?? '') ? image.os_hash_algo : null;
    const source = TaskSource.safeParse({
      cloud: spec.source.cloud,
      imageId: image.id,
      size: image.size,
      diskFormat: image.disk_format,
      hashAlgo: algo,
      hashValue: algo ? image.os_hash_value : null,
      checksum: image.checksum ?? null,
      virtualSize: typeof image.virtual_size === 'number' ? image.virtual_size : null,
      serverId: spec.source.serverId ?? null,
    });
    const clean = TaskClean.safeParse({ deletePaths: [], hostname: null, slc6: false, os: 'LINUX', ...spec.clean });
    const target = TaskTarget.safeParse({
      cloud: spec.target.cloud,
      name: spec.target.name,
      diskFormat: image.disk_format,
      containerFormat: spec.target.containerFormat ?? 'bare',
      visibility: spec.target.visibility ?? 'private',
      properties: spec.target.properties ?? {},
    });
    const bad = [
      ['source', source],
      ['clean', clean],
      ['target', target],
    ] as const;
    const problems = bad.flatMap(([part, r]) => (r.success ? [] : [`${part}: ${issues(r.error)}`]));
    if (problems.length || !source.success || !clean.success || !target.success) {
      return fail(permanent(`cannot make a runner task of this image: ${problems.join('; ')}`, { code: 'invalid_task' }));
    }
    const now = deps.now();
    const { task, created } = await runner.tasks.enqueueRunnerTask(
      {
        id: crypto.randomUUID(),
        jobId: ctx.job.id,
        step: name,
        key,
        source: source.data,
        clean: clean.data,
        target: target.data,
        scopes: [
          { cloud: spec.source.cloud, server: spec.source.server },
          { cloud: spec.target.cloud, server: spec.target.server },
        ],
        maxAttempts: runner.maxAttempts,
        deadline: now + deadlineMs,
      },
      now,
    );
    if (created) runner.queued();
    await ctx.heartbeat({ phase: 'queued' });
    return wait({ reason: describe(task, now) });
  }

  return step({
    name,
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output: cleanImageOutput,
    retry: { baseMs: 1_000, maxMs: 30_000, factor: 2, maxAttempts: 10 },
    // a runner's report ends the wait at once; the polls only notice lost leases and outcomes
    // another instance recorded without waking this one
    wait: opts.wait ?? { baseMs: 2_000, maxMs: 30_000 },
    timeout: 60_000,
    // the runner creates an image in the target project: a cancel or failure runs cleanup
    mutating: true,
    async run(ctx) {
      const spec = opts.spec(ctx.input);
      const key = spec.key ?? `${spec.source.cloud}/${spec.source.imageId}`;
      const task = await runner.tasks.findRunnerTask(ctx.job.id, name, key);
      if (!task) return enqueue(ctx, spec, key);
      const now = deps.now();
      switch (task.state) {
        case 'done': {
          const r = task.result!;
          return done({ cleanedImageId: r.imageId, cleanedImageBytes: r.bytes, cleanedImageDigests: r.verified, cleanWarnings: r.warnings });
        }
        case 'failed': {
          const e = task.error ?? { code: 'runner_failed', message: 'the runner reported no error', phase: 'download', retryable: false };
          return fail(permanent(`${e.message} (runner task ${task.id}, ${e.phase}, attempt ${task.attempt})`, { code: e.code }));
        }
        case 'cancelled':
          return fail(permanent(`runner task ${task.id} was cancelled`, { code: 'runner_task_cancelled' }));
        default:
          if (task.deadline !== null && now >= task.deadline) {
            await runner.tasks.updateRunnerTask({ id: task.id, states: ['queued', 'leased'], patch: { state: 'cancelled', finishedAt: now }, now });
            return fail(permanent(`runner task ${task.id} not done after ${minutes(deadlineMs)}: ${describe(task, now)}`, { code: 'runner_timeout' }));
          }
          if (task.state === 'queued') await ctx.heartbeat({ phase: 'queued' });
          return wait({ reason: describe(task, now) });
      }
    },
  });
}
