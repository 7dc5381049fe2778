// Target "node-postgres-2": two `npm start` processes sharing one throwaway PostgreSQL job
// table (test/support/postgres-node.ts). Both fire the same slot; the idempotency keys make
// one job per server whichever submits first.

import { nodeServiceEnv } from './nightly-files';
import { postgresTableReader } from './nightly-table';
import type { NightlyTarget } from './nightly-target';
import { startNodeService } from './node-service';
import { treeCpu } from './proc-cpu';
import { startThrowawayPostgres } from './throwaway-postgres';

const PROCESSES = 2;

export const nodePostgresTarget: NightlyTarget = {
  name: 'node-postgres-2',
  describe: `functions/node-main.ts, ${PROCESSES} processes, one PostgreSQL job table`,
  startupMs: 25_000,
  async start(input) {
    const pgServer = await startThrowawayPostgres({ database: 'snapflow_nightly' });
    // started together: both migrate at once, as two instances of a deployment do
    const started = await Promise.allSettled(
      Array.from({ length: PROCESSES }, (_, i) =>
        startNodeService({ name: `svc-${i + 1}`, dir: input.dir, env: { ...nodeServiceEnv(input), SNAPFLOW_DB: pgServer.url } }),
      ),
    );
    const services = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(services.map((s) => s.stop()));
      await pgServer.stop();
      throw failed.reason;
    }
    const table = postgresTableReader(pgServer.url);
    return {
      services,
      table,
      cpuSeconds: () => {
        const out: Record<string, number> = {};
        for (const s of services) out[s.name] = s.cpuSeconds();
        // postmaster and backends alive now; a backend that exited meanwhile drops out (the pools keep theirs)
        out.postgres = [...treeCpu(pgServer.pid).values()].reduce((a, b) => a + b, 0);
        return out;
      },
      stop: async () => {
        await Promise.all(services.map((s) => s.stop()));
        await table.close();
        await pgServer.stop();
      },
    };
  },
};
