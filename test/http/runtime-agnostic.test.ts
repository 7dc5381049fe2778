import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The app also runs as the Workers `fetch` handler: no Node built-ins in what it imports.
const ROOT = join(import.meta.dirname, '..', '..');

describe('HTTP app is runtime-agnostic', () => {
  for (const dir of ['functions/http', 'shared/metrics']) {
    it(`${dir} imports no Node built-ins`, () => {
      const files = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('-node.ts'));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const src = readFileSync(join(ROOT, dir, f), 'utf8');
        expect(src, `${dir}/${f}`).not.toMatch(/from ['"](node:|fs|path|http|os|crypto|stream|events|buffer)['"/]/);
        expect(src, `${dir}/${f}`).not.toMatch(/\bprocess\.|\bBuffer\./);
      }
    });
  }
});
