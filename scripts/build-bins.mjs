// Bundles the package's executables (the `bin` map of package.json) with esbuild into
// dist/, so they start as plain `node` on one file each: tsx at run time costs more start-up
// than the whole CLI. Run by `prepare`, so `npm ci` builds them on a fresh machine.
//
//   node scripts/build-bins.mjs                 every entry below, into dist/
//   node scripts/build-bins.mjs snapflow        only the named entries
//   node scripts/build-bins.mjs --outdir DIR    somewhere else (the tests build their own copy)
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One executable each: `dist/<name>.mjs` from `entry`; add new bins here and to package.json. */
export const ENTRIES = [
  { name: 'snapflow', entry: 'functions/cli/main.ts' },
  // runner/bin/snapflow-runner.mjs imports it (and falls back to the sources without it)
  { name: 'snapflow-runner', entry: 'runner/main.ts' },
];

function parseArgs(argv) {
  let outdir = join(ROOT, 'dist');
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--outdir') {
      const v = argv[++i];
      if (!v) throw new Error('--outdir needs a directory');
      outdir = resolve(v);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else names.push(a);
  }
  const unknown = names.filter((n) => !ENTRIES.some((e) => e.name === n));
  if (unknown.length) throw new Error(`unknown entries: ${unknown.join(', ')} (known: ${ENTRIES.map((e) => e.name).join(', ')})`);
  const entries = names.length ? ENTRIES.filter((e) => names.includes(e.name)) : ENTRIES;
  return { outdir, entries };
}

export async function buildBins({ outdir, entries }) {
  // esbuild is a direct dependency; imported here so a missing one names itself.
  const esbuild = await import('esbuild');
  // chunk names carry a content hash: a full build starts clean so old ones do not pile up
  // (a partial build leaves the other entries' chunks alone)
  if (entries.length === ENTRIES.length) rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.entry])),
    outdir,
    outExtension: { '.js': '.mjs' },
    // Splitting keeps what a command loads lazily (the progress bar, the YAML parser) out
    // of the file every invocation parses, and shares it between the entries.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'bundle',
    logLevel: 'warning',
    // commander, cli-progress and undici are CommonJS and require node: built-ins: give the
    // ESM chunks a real require.
    banner: { js: "import { createRequire as __snapflowRequire } from 'node:module'; const require = __snapflowRequire(import.meta.url);" },
  });
  for (const e of entries) chmodSync(join(outdir, `${e.name}.mjs`), 0o755);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildBins(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`build-bins: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
