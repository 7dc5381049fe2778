import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';

// The `workers` project: tests that must run inside workerd (the D1 job store), with the
// bindings of a test-only wrangler config (no `main`: the tests import the code directly).
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
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
