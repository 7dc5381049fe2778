// Start the server again (the workflow places it only where this job stopped it).
// Idempotent: a server already ACTIVE or powering-on (an earlier attempt's start) is not
// started twice. While a task still runs on it (Nova finishing the snapshot upload) the
// step waits instead of collecting 409s; the job (or cleanup) deadline bounds that wait.
import { z } from 'zod';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, POLL, permanent, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), serverId: z.string() });
const output = z.object({ startRequestedAt: z.number() });

export function startServerStep(deps: WorkflowDeps, name = 'start-server') {
  return step({
    name,
    input,
    output,
    mutating: true,
    retry: RETRY.serverAction,
    wait: POLL.busy,
    timeout: 120_000,
    async run(ctx) {
      const os = onCloud(deps, ctx);
      const server = await os.compute.getServer(ctx.input.serverId);
      const task = taskState(server);
      if ((server.status === 'ACTIVE' && task === null) || task === 'powering-on') return done({ startRequestedAt: deps.now() });
      if (task !== null) return wait({ reason: `server ${server.id} busy (${task}) before start` });
      if (server.status !== 'SHUTOFF') return fail(permanent(`server ${server.id} is ${server.status}: cannot start it`, { code: 'server_state' }));
      await os.compute.start(server.id);
      return done({ startRequestedAt: deps.now() });
    },
  });
}
