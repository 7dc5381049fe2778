import { existsSync } from 'node:fs';
import { join } from 'node:path';

// The snapflow leg runs as plain `node` on a one-file bundle, not under tsx: tsx's loader
// hooks and its esbuild service cost ~35 MiB of RSS before the first byte, which is the
// bench's overhead, not snapflow's (a deployed service runs compiled JS too). Measured on
// the lab, 1 GiB, same machine: VmHWM before the first byte 104-110 MiB under tsx, ~70 MiB
// on the bundle; peak 136-141 MiB -> ~105-118 MiB.
// Everything is bundled (undici, zod, yaml too) and minified: resolving packages from
// node_modules instead (packages: 'external') measured ~8 MiB more before the first byte,
// and a bundle with readable names ~5 MiB more (V8 keeps every script's source in memory).
// esbuild is not a direct dependency: it is the one tsx (and wrangler) already install.

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its
 * baseline compiler (Liftoff), then re-compiles the whole module with TurboFan in the
 * background, which holds ~30 MiB of compiler memory for a few hundred ms: on the lab the
 * child's VmHWM went 70 -> 100 MiB while it sat idle after its first request (bare node: no
 * change; --no-opt, --single-threaded, --no-memory-reducer: no change; --liftoff-only: 66
 * MiB). llhttp only counts body bytes, so the optimised code buys nothing on a transfer:
 * 3 alternating 1 GiB runs each, download 229/267/276 vs 252/175/222 MB/s, upload
 * 161/163/136 vs 179/190/189 MB/s (noise on a loaded machine), peak 118-120 -> 109-114 MiB.
 * A deployment can pass the same flag to node; it is on the command line printed by the bench.
 */
export const CHILD_NODE_FLAGS = ['--liftoff-only'];

export interface ChildCommand {
  /** node arguments before the child's own */
  args: string[];
  /** how the leg was run, for the report */
  how: string;
}

export async function bundleChild(entry: string, outDir: string): Promise<ChildCommand> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    // Still measurable, just with tsx's memory in the snapflow column: say so in the report.
    return { args: ['--import', 'tsx', entry], how: `node --import tsx ${entry} (esbuild not found: RSS includes tsx)` };
  }
  const outfile = join(outDir, 'snapflow-roundtrip.mjs');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'bundle',
    logLevel: 'warning',
    // undici is CommonJS and requires node: built-ins: give the ESM bundle a real require.
    banner: { js: "import { createRequire as __snapflowRequire } from 'node:module'; const require = __snapflowRequire(import.meta.url);" },
  });
  if (!existsSync(outfile)) throw new Error(`esbuild wrote no ${outfile}`);
  return { args: [...CHILD_NODE_FLAGS, outfile], how: `node ${CHILD_NODE_FLAGS.join(' ')} <esbuild bundle of ${entry}, minified, all packages bundled>` };
}
