import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';

// The `workers` project: tests that must run inside workerd (the D1 job store, the Worker's
// handlers with the job queue), with the bindings of a test-only wrangler config (no `main`:
// the tests import the code directly) and the OpenStack simulator started in Node.
export default defineProject({
  plugins: [
    cloudflareTest({
      remoteBindings: false,
      wrangler: { configPath: './test/workers/wrangler.toml' },
    }),
  ],
  test: {
    name: 'workers',
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/workers/sim-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
