// Delete the server a discard resolved (resolve-discard proved a clone job made it). The tag
// is read again right before the DELETE, so the check and the delete are one step: a server
// whose snapflow_job no longer names the clone is not deleted. One DELETE; a server already
// gone or being deleted (an earlier attempt's) is not deleted again. wait-server-gone follows.
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, permanent, RETRY } from '../workflows/step-support';
import { SNAPFLOW_TAGS } from '../workflows/tags';

const input = z.object({ cloud: z.string(), discardServerId: z.string().nullable(), cloneJobId: z.string().nullable() });
const output = z.object({ discardRequestedAt: z.number() });

export function deleteCloneServerStep(deps: WorkflowDeps) {
  return step({
    name: 'delete-server',
    input,
    output,
    mutating: true,
    retry: RETRY.serverAction,
    timeout: 120_000,
    async run(ctx) {
      const { discardServerId: id, cloneJobId } = ctx.input;
      if (id === null || cloneJobId === null) return done({});
      const os = onCloud(deps, ctx);
      const server = await orNull(os.compute.getServer(id));
      if (server && server.status !== 'DELETED' && taskState(server) !== 'deleting') {
        if (server.metadata[SNAPFLOW_TAGS.job] !== cloneJobId) {
          return fail(permanent(`server ${id} no longer carries ${SNAPFLOW_TAGS.job}=${cloneJobId}: not deleting it`, { code: 'not_made_by_snapflow' }));
        }
        await orNull(os.compute.deleteServer(id));
      }
      return done({ discardRequestedAt: deps.now() });
    },
  });
}
