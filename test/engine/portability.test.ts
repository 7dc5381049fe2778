// The engine runs in Workers too and must stay OpenStack-agnostic: no Node built-ins and
// nothing from the OpenStack client may be imported by shared/engine.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../shared/engine/', import.meta.url));
// Text helpers the engine shares with the configuration: URL redaction (job errors are the
// way into the job table) and the wording of zod issues. They import nothing but zod
// (checked below), so the engine's portability holds.
const TEXT_HELPERS = ['../config/redact-text', '../config/zod-issues'];

describe('shared/engine imports', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  it.each(files)('%s imports only zod, the job types and its siblings', (file) => {
    const src = readFileSync(DIR + file, 'utf8');
    const specifiers = [...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
    for (const s of specifiers) {
      expect(s === 'zod' || s!.startsWith('./') || s === '../jobs/types' || TEXT_HELPERS.includes(s!), `${file} imports ${s}`).toBe(true);
    }
  });
  it.each(TEXT_HELPERS)('%s imports nothing but zod', (helper) => {
    const src = readFileSync(join(DIR, `${helper}.ts`), 'utf8');
    expect([...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]).filter((s) => s !== 'zod')).toEqual([]);
  });
});
