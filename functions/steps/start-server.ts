// Start the server again, only if this job stopped it. Idempotent: a server already
// ACTIVE or powering-on (an earlier attempt's start) is not started twice. While a task
// still runs on it (Nova finishing the snapshot upload) the step waits instead of
// collecting 409s; the job (or cleanup) deadline bounds that wait.
import { z } from 'zod';
import { defineStep } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { taskState } from '../../shared/openstack/compute-schemas';
import type { WorkflowDeps } from '../workflows/deps';
import { permanent, scaledRetry, scaledWait } from '../workflows/step-support';

const input = z.looseObject({ cloud: z.string(), serverId: z.string(), stoppedByJob: z.boolean().default(false) });

export function startServerStep(deps: WorkflowDeps, name = 'start-server') {
  return defineStep({
    name,
    input,
    mutating: true,
    // 409 when a task starts between our GET and the start call.
    retry: scaledRetry(deps, { baseMs: 3_000, maxMs: 120_000, factor: 2, maxAttempts: 15 }),
    wait: scaledWait(deps, { baseMs: 2_000, maxMs: 30_000 }),
    timeout: 120_000,
    async run(ctx) {
      if (!ctx.input.stoppedByJob) return done();
      const os = deps.openstack(ctx.input.cloud, ctx);
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
