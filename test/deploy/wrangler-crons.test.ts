import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schedules as declared } from '../../schedules/schedules';
import { CRON_ALIASES } from '../../shared/schedule/cron';
import { validateSchedules } from '../../shared/schedule/load';
import { wranglerCrons } from '../schedule/wrangler-crons';

const ROOT = join(import.meta.dirname, '..', '..');
const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');

/**
 * The Workers safety-net tick (see wrangler.toml): the only clock on Workers, so waits,
 * retries, lost dispatches and expired leases progress within a minute.
 */
const SAFETY_TICK_CRON = '* * * * *';

// Cron Triggers take five fields only: a schedule written as a macro must appear in its
// five-field form.
function scheduleCrons(): string[] {
  const valid = validateSchedules(declared.map((input) => ({ input })));
  return [...new Set(valid.map((s) => CRON_ALIASES[s.cron] ?? s.cron))];
}

describe('wrangler.toml [triggers] crons', () => {
  const crons = wranglerCrons(toml);

  it('are the declared schedules’ cron expressions plus the safety-net tick, each once', () => {
    const expected = [...scheduleCrons(), SAFETY_TICK_CRON];
    expect(new Set(crons).size, `duplicates in ${JSON.stringify(crons)}`).toBe(crons.length);
    expect([...crons].sort()).toEqual([...new Set(expected)].sort());
  });

  it('point wrangler at the Workers entry with the D1 job table', () => {
    expect(toml).toMatch(/^main\s*=\s*"functions\/worker\.ts"\s*$/m);
    expect(toml).toMatch(/\[\[d1_databases\]\]\s*\nbinding\s*=\s*"DB"/);
  });
});
