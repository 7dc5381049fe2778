// Stop the server before a snapshot (consistent disk). Idempotent: a server this job
// already asked to stop (powering-off or SHUTOFF on a retry) is not stopped twice, and a
// server that was SHUTOFF before the job is left alone (and not started afterwards).
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import { taskState } from '../../shared/openstack/compute-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, RETRY } from '../workflows/step-support';

const input = z.object({ cloud: z.string(), serverId: z.string(), serverStatus: z.string() });
const output = z.object({ stoppedByJob: z.boolean(), stopRequestedAt: z.number().optional() });

export function stopServerStep(deps: WorkflowDeps) {
  return step({
    name: 'stop-server',
    input,
    output,
    mutating: true,
    retry: RETRY.serverAction,
    timeout: 120_000,
    async run(ctx) {
      if (ctx.input.serverStatus === 'SHUTOFF') return done({ stoppedByJob: false });
      const os = onCloud(deps, ctx);
      const server = await os.compute.getServer(ctx.input.serverId);
      const alreadyStopping = server.status === 'SHUTOFF' || taskState(server) === 'powering-off';
      if (!alreadyStopping) await os.compute.stop(server.id);
      return done({ stoppedByJob: true, stopRequestedAt: deps.now() });
    },
  });
}
