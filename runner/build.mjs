// Bundles the runner into runner/dist/snapflow-runner.mjs (the launcher prefers it): one ES
// module with the TypeScript already compiled; node_modules stays external.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./main.ts', import.meta.url).pathname],
  outfile: new URL('./dist/snapflow-runner.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log('runner/dist/snapflow-runner.mjs written');
