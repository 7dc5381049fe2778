// Formatting and lint hold on every run (Biome, biome.jsonc), and no line of code is over
// the formatter's width (Biome cannot break a long string literal, so it is checked here).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './import-graph';

const WIDTH = 160;

describe('style', () => {
  it('passes biome ci (formatter and linter)', async () => {
    const biome = join(ROOT, 'node_modules/@biomejs/biome/bin/biome');
    const out = await promisify(execFile)(process.execPath, [biome, 'ci', '--colors=off', '.'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`.slice(0, 4000),
    );
    expect(out).toBe('');
  }, 120_000);

  it(`has no line over ${WIDTH} characters`, () => {
    const long = sourceFiles().flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.length > WIDTH ? [`${f}:${i + 1} (${line.length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
