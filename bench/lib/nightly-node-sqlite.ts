// Target "node-sqlite": one `npm start` process on the embedded SQLite job table.
import { join } from 'node:path';
import { nodeServiceEnv } from './nightly-files';
import { sqliteTableReader } from './nightly-table';
import type { NightlyTarget } from './nightly-target';
import { startNodeService } from './node-service';

export const nodeSqliteTarget: NightlyTarget = {
  name: 'node-sqlite',
  describe: 'functions/node-main.ts, 1 process, SQLite (WAL) job table',
  startupMs: 15_000,
  async start(input) {
    const file = join(input.dir, 'jobs.sqlite');
    const svc = await startNodeService({ name: 'svc-1', dir: input.dir, env: { ...nodeServiceEnv(input), SNAPFLOW_DB: `sqlite:${file}` } });
    const table = sqliteTableReader(file);
    return {
      services: [svc],
      table,
      cpuSeconds: () => ({ [svc.name]: svc.cpuSeconds() }),
      stop: async () => {
        await svc.stop();
        await table.close();
      },
    };
  },
};
