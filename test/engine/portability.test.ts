// The engine runs in Workers too and must stay OpenStack-agnostic: no Node built-ins and
// nothing from the OpenStack client may be imported by shared/engine.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../shared/engine/', import.meta.url));

describe('shared/engine imports', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  it.each(files)('%s imports only zod, the job types and its siblings', (file) => {
    const src = readFileSync(DIR + file, 'utf8');
    const specifiers = [...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
    for (const s of specifiers) {
      expect(s === 'zod' || s!.startsWith('./') || s === '../jobs/types', `${file} imports ${s}`).toBe(true);
    }
  });
});
