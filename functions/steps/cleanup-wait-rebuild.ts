// Cleanup of a rollback cancelled (or failed) while Nova rebuilds: wait until the rebuild
// has settled before the image it reads is deleted. Cinder downloads the image into the root
// volume during a volume-backed rebuild; deleting it then would leave the server in ERROR.
// The cleanup deadline bounds the wait.
import { z } from 'zod';
import { done, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, POLL, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), serverId: z.string() });
const output = z.object({ rebuildSettledStatus: z.string() });

export function cleanupWaitRebuildStep(deps: WorkflowDeps) {
  return step({
    name: 'cleanup-wait-rebuild',
    input,
    output,
    retry: RETRY.poll,
    wait: POLL.serverTransition,
    timeout: 60_000,
    async run(ctx) {
      const server = await orNull(onCloud(deps, ctx).compute.getServer(ctx.input.serverId));
      if (!server) return done({ rebuildSettledStatus: 'gone' });
      const task = taskState(server) ?? '';
      if (server.status === 'REBUILD' || task.startsWith('rebuild')) return wait({ reason: `server ${server.id} still rebuilding (${task || server.status})` });
      return done({ rebuildSettledStatus: server.status });
    },
  });
}
