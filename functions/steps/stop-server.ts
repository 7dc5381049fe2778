// Stop the server before a snapshot (consistent disk). Idempotent: a server this job
// already asked to stop (powering-off or SHUTOFF on a retry) is not stopped twice, and a
// server that was SHUTOFF before the job is left alone (and not started afterwards).
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done } from '../../shared/engine/results';
import { taskState } from '../../shared/openstack/compute-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { scaledRetry } from '../workflows/step-support';

const input = z.looseObject({
  cloud: z.string(),
  serverId: z.string(),
  serverStatus: z.string(),
  stop: z.boolean().default(false),
});

export function stopServerStep(deps: WorkflowDeps) {
  return defineStep({
    name: 'stop-server',
    input,
    mutating: true,
    // 409 while another task runs on the server: back off, it usually clears in minutes.
    retry: scaledRetry(deps, { baseMs: 3_000, maxMs: 120_000, factor: 2, maxAttempts: 15 }),
    timeout: 120_000,
    async run(ctx) {
      if (!ctx.input.stop) return done({ stoppedByJob: false });
      if (ctx.input.serverStatus === 'SHUTOFF') return done({ stoppedByJob: false });
      const os = deps.openstack(ctx.input.cloud, ctx);
      const server = await os.compute.getServer(ctx.input.serverId);
      const alreadyStopping = server.status === 'SHUTOFF' || taskState(server) === 'powering-off';
      if (!alreadyStopping) await os.compute.stop(server.id);
      return done({ stoppedByJob: true, stopRequestedAt: deps.now() });
    },
  });
}
