// A small workflow around the clean-image step, for the tests of the runner routes, the
// whole chain with a real runner, the lab tier and bench/runner.ts (here, since benches do
// not import test/). The clone, move and rename workflows that will use the step are not
// built yet. Submitted with engine.submit: POST /v1/jobs only takes the v1 kinds.
import { z } from 'zod';
import { cancelRunnerTasksStep } from '../../functions/steps/cancel-runner-tasks';
import { cleanImageStep } from '../../functions/steps/clean-image';
import type { WorkflowDeps } from '../../functions/workflows/deps';
import type { RunnerStepDeps } from '../../functions/workflows/runner-step-deps';
import type { WaitPolicy } from '../../shared/engine/backoff';
import { workflow } from '../../shared/engine/typed-workflow';
import { CLEAN_MODES } from '../../shared/runner/protocol';

export const CLEAN_KIND = 'test-clean-image';

export const cleanParams = z.object({
  cloud: z.string(),
  server: z.string(),
  imageId: z.string(),
  targetCloud: z.string(),
  targetName: z.string(),
  mode: z.enum(CLEAN_MODES).default('full'),
  hostname: z.string().nullable().default(null),
  deletePaths: z.array(z.string()).default([]),
  slc6: z.boolean().default(false),
  properties: z.record(z.string(), z.string()).default({}),
});
export type CleanParams = z.input<typeof cleanParams>;

export function cleanWorkflow(deps: WorkflowDeps, runner: RunnerStepDeps, opts: { deadlineMs?: number; taskDeadlineMs?: number; wait?: WaitPolicy } = {}) {
  return workflow(CLEAN_KIND, cleanParams, {})
    .step(
      cleanImageStep(deps, runner, {
        ...(opts.taskDeadlineMs !== undefined ? { deadlineMs: opts.taskDeadlineMs } : {}),
        ...(opts.wait !== undefined ? { wait: opts.wait } : {}),
        spec: (c) => ({
          source: { cloud: c.cloud, imageId: c.imageId, server: c.server },
          clean: { mode: c.mode, deletePaths: c.deletePaths, hostname: c.hostname, slc6: c.slc6 },
          target: { cloud: c.targetCloud, server: c.targetName, name: c.targetName, properties: c.properties },
        }),
      }),
    )
    .cleanup(cancelRunnerTasksStep(deps, runner))
    .build({
      deadlineMs: opts.deadlineMs ?? 3_600_000,
      result: (c) => ({ imageId: c.cleanedImageId, bytes: c.cleanedImageBytes, digests: c.cleanedImageDigests, warnings: c.cleanWarnings }),
    });
}
