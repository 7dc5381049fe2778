// Every workflow this module defines, for createEngine({ workflows: allWorkflows(deps) }).
import type { WorkflowDefinition } from '../../shared/engine/define';
import type { WorkflowDeps } from './deps';
import { pruneWorkflow } from './prune';
import { rollbackWorkflow } from './rollback';
import { snapshotWorkflow } from './snapshot';

export function allWorkflows(deps: WorkflowDeps): WorkflowDefinition<any>[] {
  return [snapshotWorkflow(deps), rollbackWorkflow(deps), pruneWorkflow(deps)];
}
