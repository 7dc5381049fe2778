import { defineConfig } from 'vitest/config';

// Tiers, one runner:
//  - node: fast unit/integration tests (simulator, SQLite, PostgreSQL started by scripts/test.sh)
//  - contract: the OpenStack client against the simulator, or a real cloud when OS_CLOUD is set
//  - workers: code that must run inside workerd (D1 store), via @cloudflare/vitest-pool-workers
//  - sysprep: the runner's pipeline with the real qemu-img / virt-sysprep / guestfish
// (the workers project is added in vitest.workers.config.ts and referenced below)
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/contract/**', 'test/workers/**', 'test/lab/**', 'test/runner-tools/**', 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // a real PostgreSQL for the job store tests (skipped when SNAPFLOW_TEST_PG_URL is set)
          globalSetup: ['test/support/postgres-global-setup.ts'],
        },
      },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // a real cloud is shared state: run its files one at a time
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'lab',
          // real-cloud tier: skipped unless OS_CLOUD is set (test/lab/workflows.test.ts, and the
          // Workers entry under wrangler dev on the lab: test/lab/worker-dev-lab.test.ts)
          include: ['test/lab/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'sysprep',
          // real qemu-img, virt-sysprep and guestfish (each run boots a libguestfs appliance):
          // not in `npm test`; `npx vitest run --project sysprep` (skips when the tools are missing)
          include: ['test/runner-tools/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
