// Cleanup of a job that handed work to runners: its open tasks are cancelled, so none is
// handed out again and the runner holding one hears `cancel: true` on its next heartbeat.
// (An image a runner already uploaded is the target cloud's cleanup step's business.)
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { WorkflowDeps } from '../workflows/deps';
import type { RunnerStepDeps } from '../workflows/runner-step-deps';

export function cancelRunnerTasksStep(deps: WorkflowDeps, runner: RunnerStepDeps, name = 'cancel-runner-tasks') {
  return step({
    name,
    input: z.looseObject({}),
    output: z.object({ cancelledRunnerTasks: z.number() }),
    retry: { baseMs: 1_000, maxMs: 30_000, factor: 2, maxAttempts: 10 },
    timeout: 30_000,
    async run(ctx) {
      return done({ cancelledRunnerTasks: await runner.tasks.cancelRunnerTasks(ctx.job.id, deps.now()) });
    },
  });
}
