#!/usr/bin/env node
// Launcher of `snapflow-runner`. Runs the bundle that `npm ci` (scripts/build-bins.mjs) writes (one
// file, quick to start, no TypeScript at run time); without one (a development checkout),
// the TypeScript sources through tsx. SNAPFLOW_RUNNER_SOURCE=1 forces the sources (tests,
// development next to an older bundle).
import { existsSync } from 'node:fs';

const bundle = new URL('../../dist/snapflow-runner.mjs', import.meta.url);
let main;
if (existsSync(bundle) && process.env.SNAPFLOW_RUNNER_SOURCE !== '1') {
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../main.ts'));
}
process.exit(await main(process.argv.slice(2)));
