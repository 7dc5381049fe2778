// Every workflow this module defines, for createEngine({ workflows: allWorkflows(deps, runner) }).
// Clone, move and rename hand their images to sysprep runners: without the runner task
// table (`runner`) they are not offered. Discard (deleting what a clone made) needs no runner.
import type { WorkflowDefinition } from '../../shared/engine/define';
import { cloneWorkflow } from './clone';
import type { WorkflowDeps } from './deps';
import { discardWorkflow } from './discard';
import { moveWorkflow } from './move';
import { pruneWorkflow } from './prune';
import { renameWorkflow } from './rename';
import { rollbackWorkflow } from './rollback';
import type { RunnerStepDeps } from './runner-step-deps';
import { snapshotWorkflow } from './snapshot';

export function allWorkflows(deps: WorkflowDeps, runner?: RunnerStepDeps): WorkflowDefinition<any>[] {
  const base = [snapshotWorkflow(deps), rollbackWorkflow(deps), pruneWorkflow(deps), discardWorkflow(deps)];
  return runner ? [...base, cloneWorkflow(deps, runner), moveWorkflow(deps, runner), renameWorkflow(deps, runner)] : base;
}
