import { describe, expect, it } from 'vitest';
import { wranglerCrons } from './wrangler-crons';

describe('wranglerCrons', () => {
  it('reads a one-line array', () => {
    expect(wranglerCrons('name = "x"\n[triggers]\ncrons = ["0 2 * * *", "*/5 * * * *"]\n')).toEqual(['0 2 * * *', '*/5 * * * *']);
  });

  it('reads a multi-line array with comments, literal strings and a trailing comma', () => {
    const toml = [
      'name = "snapflow"',
      'main = "functions/worker.ts"',
      '',
      '[[d1_databases]]',
      'binding = "DB"',
      'crons = ["not this one"]',
      '',
      '[triggers] # cron triggers run in UTC',
      'crons = [',
      '  "0 2 * * *", # nightly',
      "  '*/5 * * * *',",
      '  # "0 3 * * *" is commented out',
      ']',
      '',
      '[vars]',
      'crons = ["nor this"]',
    ].join('\n');
    expect(wranglerCrons(toml)).toEqual(['0 2 * * *', '*/5 * * * *']);
  });

  it('ignores crons outside the top-level [triggers] table', () => {
    expect(wranglerCrons('[env.staging.triggers]\ncrons = ["1 1 * * *"]\n')).toEqual([]);
    expect(wranglerCrons('name = "x"\n')).toEqual([]);
  });

  it('returns an empty list for crons = []', () => {
    expect(wranglerCrons('[triggers]\ncrons = []\n')).toEqual([]);
  });

  it('rejects an unterminated array', () => {
    expect(() => wranglerCrons('[triggers]\ncrons = ["0 2 * * *"\n')).toThrow(/unterminated/);
  });
});
