// The layout's rules, checked on every run so they stay true: shared/ is the libraries
// snapflow stands on and never imports what it does (functions/, runner/); nothing outside
// test/ imports test/; no import cycles; the engine stays free of Node built-ins and
// OpenStack (it runs in workerd); the whole project type-checks.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cycles, importEdges, ROOT, sourceFiles } from './import-graph';

const edges = importEdges(sourceFiles());
const show = (e: { from: string; to: string }) => `${e.from} -> ${e.to}`;

describe('architecture', () => {
  it('shared/ imports nothing from functions/ or runner/', () => {
    expect(edges.filter((e) => e.from.startsWith('shared/') && /^(functions|runner)\//.test(e.to)).map(show)).toEqual([]);
  });

  it('nothing outside test/ imports test/', () => {
    expect(edges.filter((e) => !e.from.startsWith('test/') && e.to.startsWith('test/')).map(show)).toEqual([]);
  });

  it('has no import cycles (type-only imports included)', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('the import graph is read from the sources (a guard that saw nothing would pass)', () => {
    expect(edges.length).toBeGreaterThan(1000);
    expect(edges.some((e) => e.from === 'functions/compose.ts' && e.to === 'shared/engine/engine.ts')).toBe(true);
  });

  it('keeps Node built-ins out of the Workers-reachable engine, jobs and OpenStack client', () => {
    const offenders: string[] = [];
    for (const f of sourceFiles().filter((x) => /^shared\/(engine|jobs|openstack|auth|schedule|metrics)\//.test(x) && !/-node\.ts$/.test(x))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/from\s+'(node:[^']+|fs|path|os|crypto|child_process|better-sqlite3|pg|undici)'/g)) offenders.push(`${f}: ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('type-checks (tsc --noEmit), including the type tests of test/types', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const run = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', ROOT], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(run).toBe('');
  }, 240_000);
});
