import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../shared/config/duration';
import { checkNamePattern, DEFAULT_IMAGE_NAME_PATTERN, formatImageName } from '../../shared/config/name-pattern';

describe('image name patterns', () => {
  const date = new Date('2026-03-05T07:08:09.123Z');

  it('renders the default pattern in UTC', () => {
    expect(formatImageName(DEFAULT_IMAGE_NAME_PATTERN, { server: 'web-1', date })).toBe('web-1-snap-20260305-070809');
  });

  it('renders variables and custom date formats', () => {
    expect(formatImageName('{schedule}/{cloud}/{server}-{YYYY-MM-DDTHH.mm.ss}', { server: 'db', cloud: 'prod', schedule: 'nightly', date })).toBe(
      'nightly/prod/db-2026-03-05T07.08.09',
    );
    expect(formatImageName('{server}-{job}-{YYYYMMDD}', { server: 'db', date })).toBe('db--20260305');
  });

  it('caps names at the Glance limit', () => {
    expect(formatImageName('{server}-{YYYY}', { server: 'x'.repeat(300), date })).toHaveLength(255);
  });

  it.each([
    ['', /empty/],
    ['{server}', /needs a date placeholder/],
    ['{host}-{YYYY}', /unknown placeholder \{host\}/],
    ['{server}-{YYYY}}', /unbalanced/],
    ['{server}-{YYYY', /unbalanced/],
    ['{server}-{yyyy}', /unknown placeholder/],
  ])('rejects %j', (pattern, message) => {
    expect(checkNamePattern(pattern)).toMatch(message);
    expect(() => formatImageName(pattern, { server: 's', date })).toThrow(/invalid image name pattern/);
  });
});

describe('durations', () => {
  it.each([
    ['2h', 7_200_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['1500', 1500],
    [' 5m ', 300_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'two hours', '1.5h', '-5m', '5 m', '5y'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
