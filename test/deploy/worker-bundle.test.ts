import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offMachineCalls, STRACE, straceArgs } from '../../bench/lib/strace';
import { offlineWranglerEnv } from '../../bench/lib/wrangler-dev';

// Bundles the Workers entry exactly as `wrangler deploy` would (--dry-run: nothing is
// uploaded) and checks that no Node-only code got in. wrangler.toml has no nodejs_compat
// flag, so an import of a Node built-in anywhere under functions/worker.ts makes wrangler
// warn and leaves a `node:*` import in the bundle, which would throw at runtime.
// Under strace (when installed) the run also proves nothing left the machine.

const ROOT = join(import.meta.dirname, '..', '..');
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

// Node-only packages and files that must never be bundled into the Worker.
const FORBIDDEN_PACKAGES = ['better-sqlite3', 'undici', 'pg', 'pg-pool', 'pino', 'node-cron', '@hono/node-server'];
const FORBIDDEN_FILES = [/^test\/sim\//, /^shared\/node\//, /-node\.ts$/];

interface Meta {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: { path: string; external?: boolean }[]; exports?: string[]; entryPoint?: string }>;
}

let dir: string;
let result: { status: number | null; output: string };
let meta: Meta;
let bundle: string;
let straceLog: string | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-bundle-'));
  // the dry run only bundles: the placeholder database id is fine (see below for a real deploy)
  const env = { ...offlineWranglerEnv(join(dir, 'logs')), SNAPFLOW_ALLOW_PLACEHOLDER_DB: '1' };
  const args = [WRANGLER, 'deploy', '--dry-run', '--outdir', join(dir, 'out'), '--metafile', join(dir, 'meta.json')];
  const straceOut = join(dir, 'strace.txt');
  const cmd = STRACE ? STRACE : process.execPath;
  const argv = STRACE ? [...straceArgs(straceOut), process.execPath, ...args] : args;
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  result = { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  if (result.status === 0) {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    bundle = readFileSync(join(dir, 'out', 'worker.js'), 'utf8');
  }
  if (STRACE && existsSync(straceOut)) straceLog = readFileSync(straceOut, 'utf8');
}, 150_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('wrangler deploy --dry-run of functions/worker.ts', () => {
  it('bundles without errors or Node built-in warnings', () => {
    // Without nodejs_compat wrangler still bundles a `node:*` import (left external) but warns.
    expect(result.output).not.toMatch(/built into node|Could not resolve|\[ERROR\]|\[WARNING\]/i);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('env.DB');
    expect(result.output).toContain('env.SNAPFLOW_JOBS');
  });

  it('stops a deploy naming database_id while wrangler.toml still holds the placeholder', () => {
    const env = offlineWranglerEnv(join(dir, 'logs-deploy'));
    delete env.SNAPFLOW_ALLOW_PLACEHOLDER_DB;
    const r = spawnSync(process.execPath, [WRANGLER, 'deploy', '--dry-run', '--outdir', join(dir, 'out-2')], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /wrangler\.toml: \[\[d1_databases\]\] database_id: still the placeholder; create the database with `npx wrangler d1 create snapflow`/,
    );
  }, 120_000);

  it('contains the entry and none of the Node-only packages or files', () => {
    const inputs = Object.keys(meta.inputs).map((p) => relative(ROOT, join(ROOT, p)));
    expect(inputs).toContain('functions/worker.ts');
    expect(inputs).toContain('shared/jobs/open-d1.ts');
    const packages = new Set(inputs.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1]).filter((p) => p !== undefined));
    for (const p of FORBIDDEN_PACKAGES) expect(packages.has(p), `package ${p} is bundled`).toBe(false);
    const ours = inputs.filter((p) => !p.includes('node_modules/'));
    for (const re of FORBIDDEN_FILES) expect(ours.filter((p) => re.test(p))).toEqual([]);
  });

  it('imports nothing from outside the bundle (no node:* or bare module left external)', () => {
    // The output's imports, not the inputs': an input's type-only import (elided) is
    // listed there as external although it never reaches the bundle.
    const imports = Object.values(meta.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((p) => !p.startsWith('cloudflare:'))).toEqual([]);
    expect(bundle).not.toMatch(/\bfrom\s*["']node:|require\(\s*["']node:/);
    expect(bundle).not.toMatch(/better-sqlite3|better_sqlite3|\bundici\b|pg-protocol/);
  });

  it('exports only the default handlers object (workerd takes every export for a handler)', () => {
    const entry = Object.values(meta.outputs).find((o) => o.entryPoint === 'functions/worker.ts');
    expect(entry?.exports).toEqual(['default']);
  });

  it.skipIf(!STRACE)('sends no traffic off the machine', () => {
    expect(straceLog, 'strace wrote no log').not.toBeNull();
    expect(offMachineCalls(straceLog!)).toEqual([]);
  });
});
