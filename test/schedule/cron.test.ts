import { describe, expect, it } from 'vitest';
import { CronError, nextAfter, parseCron, previousSlot, slotsBetween } from '../../shared/schedule/cron';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const next = (e: string, tz: string, at: string) => iso(nextAfter(e, tz, new Date(at)));
const prev = (e: string, tz: string, at: string) => iso(previousSlot(e, tz, new Date(at)));
const between = (e: string, tz: string, a: string, b: string) => slotsBetween(e, tz, new Date(a), new Date(b)).map((d) => d.toISOString());

const set = (bits: readonly boolean[]) => bits.flatMap((b, i) => (b ? [i] : []));

describe('parseCron', () => {
  it('parses lists, ranges, steps and names', () => {
    const e = parseCron('5/15 10-14/2 1,15,31 JAN-mar,dec mon-FRI');
    expect(set(e.minutes)).toEqual([5, 20, 35, 50]);
    expect(set(e.hours)).toEqual([10, 12, 14]);
    expect(set(e.doms)).toEqual([1, 15, 31]);
    expect(set(e.months)).toEqual([1, 2, 3, 12]);
    expect(set(e.dows)).toEqual([1, 2, 3, 4, 5]);
    expect(e.domStar).toBe(false);
    expect(e.dowStar).toBe(false);
    expect(e.wildcardTime).toBe(false);
  });

  it('folds day-of-week 7 into Sunday', () => {
    expect(set(parseCron('0 0 * * 7').dows)).toEqual([0]);
    expect(set(parseCron('0 0 * * 5-7').dows)).toEqual([0, 5, 6]);
    expect(set(parseCron('0 0 * * *').dows)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('expands aliases', () => {
    const cases: Array<[string, string]> = [
      ['@daily', '0 0 * * *'],
      ['@midnight', '0 0 * * *'],
      ['@hourly', '0 * * * *'],
      ['@weekly', '0 0 * * 0'],
      ['@monthly', '0 0 1 * *'],
      ['@yearly', '0 0 1 1 *'],
      ['@ANNUALLY', '0 0 1 1 *'],
    ];
    for (const [alias, plain] of cases) {
      const { source: _a, ...a } = parseCron(alias);
      const { source: _b, ...b } = parseCron(plain);
      expect(a, alias).toEqual(b);
    }
  });

  it('marks the star flags the way Vixie cron does', () => {
    expect(parseCron('0 0 */2 * 1').domStar).toBe(true);
    expect(parseCron('0 0 1 * *').dowStar).toBe(true);
    expect(parseCron('*/5 3 * * *').wildcardTime).toBe(true);
    expect(parseCron('5 * * * *').wildcardTime).toBe(true);
  });

  it.each([
    ['60 * * * *', /minute: 60 out of range 0-59/],
    ['* 24 * * *', /hour: 24 out of range/],
    ['* * 0 * *', /day-of-month: 0 out of range/],
    ['* * * 13 *', /month: 13 out of range/],
    ['* * * * 8', /day-of-week: 8 out of range/],
    ['* * * *', /expected 5 fields/],
    ['* * * * * *', /expected 5 fields/],
    ['', /expected 5 fields/],
    ['@reboot', /unknown alias/],
    ['*/0 * * * *', /invalid step/],
    ['5-1 * * * *', /reversed range/],
    ['0 0 * FOO *', /month: invalid value "FOO"/],
    ['0 0 * * SUNDAY', /day-of-week: invalid value/],
    ['1,,2 * * * *', /empty list element/],
    ['1-2-3 * * * *', /invalid range/],
    ['1/2/3 * * * *', /invalid step/],
    ['-1 * * * *', /invalid/],
    ['0 0 30 2 *', /never occurs/],
    ['0 0 31 4,6,9,11 *', /never occurs/],
  ])('rejects %j', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(message);
  });

  it('accepts Feb 30 when it is OR-ed with a weekday (month still applies)', () => {
    // February AND (30th OR Monday): 1 Feb 2027 is a Monday
    expect(next('0 0 30 2 MON', 'UTC', '2026-11-26T00:00:00Z')).toBe('2027-02-01T00:00:00.000Z');
  });
});

describe('nextAfter / previousSlot in UTC', () => {
  it('is strictly after, and previousSlot is at or before', () => {
    expect(next('0 * * * *', 'UTC', '2026-01-01T10:00:00Z')).toBe('2026-01-01T11:00:00.000Z');
    expect(next('0 * * * *', 'UTC', '2026-01-01T09:59:59.999Z')).toBe('2026-01-01T10:00:00.000Z');
    expect(prev('0 * * * *', 'UTC', '2026-01-01T10:00:00Z')).toBe('2026-01-01T10:00:00.000Z');
    expect(prev('0 * * * *', 'UTC', '2026-01-01T09:59:59.999Z')).toBe('2026-01-01T09:00:00.000Z');
  });

  it('crosses month and year ends', () => {
    expect(next('0 0 1 * *', 'UTC', '2026-12-15T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@yearly', 'UTC', '2026-01-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 0 31 * *', 'UTC', '2026-04-01T00:00:00Z')).toBe('2026-05-31T00:00:00.000Z');
    expect(prev('0 0 31 * *', 'UTC', '2026-04-15T00:00:00Z')).toBe('2026-03-31T00:00:00.000Z');
  });

  it('finds leap days', () => {
    expect(next('0 0 29 2 *', 'UTC', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(prev('0 0 29 2 *', 'UTC', '2026-03-01T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('ORs day-of-month and day-of-week when both are restricted', () => {
    // November 2026: Fridays are 6, 13, 20, 27; the 13th is also a Friday
    expect(next('0 0 13 * 5', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-06T00:00:00.000Z');
    expect(next('0 0 13 * FRI', 'UTC', '2026-11-06T00:00:00Z')).toBe('2026-11-13T00:00:00.000Z');
    // 13 December 2026 is a Sunday: matched through day-of-month alone
    expect(next('0 0 13 * 5', 'UTC', '2026-12-11T00:00:00Z')).toBe('2026-12-13T00:00:00.000Z');
    expect(next('0 0 13 * 5', 'UTC', '2026-12-13T00:00:00Z')).toBe('2026-12-18T00:00:00.000Z');
    // days 1-7 OR every Monday (not "the first Monday")
    expect(between('0 0 1-7 * MON', 'UTC', '2026-11-30T23:00:00Z', '2026-12-31T00:00:00Z')).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 14, 21, 28].map((d) => `2026-12-${String(d).padStart(2, '0')}T00:00:00.000Z`),
    ]);
  });

  it('ANDs them when either field starts with *', () => {
    // */1 is every day, but the leading * makes it an AND: only Fridays
    expect(between('0 0 */1 * 5', 'UTC', '2026-11-01T00:00:00Z', '2026-11-30T00:00:00Z')).toEqual([
      '2026-11-06T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
      '2026-11-20T00:00:00.000Z',
      '2026-11-27T00:00:00.000Z',
    ]);
    expect(next('0 0 13 * *', 'UTC', '2026-11-13T00:00:00Z')).toBe('2026-12-13T00:00:00.000Z');
    expect(next('0 0 * * 5', 'UTC', '2026-11-13T00:00:00Z')).toBe('2026-11-20T00:00:00.000Z');
  });

  it('handles weekday ranges, weekly and steps', () => {
    expect(between('30 8 * * MON-FRI', 'UTC', '2026-11-26T09:00:00Z', '2026-12-02T00:00:00Z')).toEqual([
      '2026-11-27T08:30:00.000Z',
      '2026-11-30T08:30:00.000Z',
      '2026-12-01T08:30:00.000Z',
    ]);
    expect(next('@weekly', 'UTC', '2026-11-26T00:00:00Z')).toBe('2026-11-29T00:00:00.000Z');
    expect(between('*/20 0 * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T02:00:00Z')).toEqual(['2026-01-01T00:20:00.000Z', '2026-01-01T00:40:00.000Z']);
  });
});

describe('time zones and DST (Europe/Zurich: 2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00)', () => {
  const Z = 'Europe/Zurich';

  it('applies the zone offset outside transitions', () => {
    expect(next('0 2 * * *', Z, '2026-01-10T12:00:00Z')).toBe('2026-01-11T01:00:00.000Z'); // CET
    expect(next('0 2 * * *', Z, '2026-07-10T12:00:00Z')).toBe('2026-07-11T00:00:00.000Z'); // CEST
    expect(next('0 0 * * *', 'Asia/Kolkata', '2026-01-01T00:00:00Z')).toBe('2026-01-01T18:30:00.000Z');
    expect(next('0 0 1 1 *', 'Pacific/Kiritimati', '2026-06-01T00:00:00Z')).toBe('2026-12-31T10:00:00.000Z');
  });

  it('runs a fixed-time entry in the spring gap once, when the gap ends', () => {
    expect(next('30 2 * * *', Z, '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
    expect(next('0 2 * * *', Z, '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(next('30 2 * * *', Z, '2026-03-29T01:00:00Z')).toBe('2026-03-30T00:30:00.000Z');
    expect(between('30 2 * * *', Z, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      '2026-03-27T01:30:00.000Z',
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    // a fixed entry at 03:00 and one in the gap land on the same instant: one slot
    expect(between('0 2,3 * * *', Z, '2026-03-29T00:00:00Z', '2026-03-29T03:00:00Z')).toEqual(['2026-03-29T01:00:00.000Z']);
    expect(next('15 3 * * *', Z, '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:15:00.000Z');
  });

  it('skips the missing wall times for wildcard entries', () => {
    expect(between('30 * * * *', Z, '2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z')).toEqual([
      '2026-03-28T23:30:00.000Z', // 00:30 CET
      '2026-03-29T00:30:00.000Z', // 01:30 CET
      '2026-03-29T01:30:00.000Z', // 03:30 CEST
      '2026-03-29T02:30:00.000Z', // 04:30 CEST
    ]);
    expect(between('*/15 2 * * *', Z, '2026-03-28T23:00:00Z', '2026-03-29T12:00:00Z')).toEqual([]);
  });

  it('runs a fixed-time entry in the autumn overlap once, at the first occurrence', () => {
    expect(between('30 2 * * *', Z, '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
      '2026-10-24T00:30:00.000Z', // CEST
      '2026-10-25T00:30:00.000Z', // first 02:30 (CEST); the CET one at 01:30Z is skipped
      '2026-10-26T01:30:00.000Z', // CET
    ]);
    expect(prev('30 2 * * *', Z, '2026-10-25T02:00:00Z')).toBe('2026-10-25T00:30:00.000Z');
    expect(next('0 1 * * *', Z, '2026-10-24T12:00:00Z')).toBe('2026-10-24T23:00:00.000Z');
  });

  it('runs a wildcard entry at both occurrences of the repeated hour', () => {
    expect(between('*/30 * * * *', Z, '2026-10-24T23:45:00Z', '2026-10-25T02:00:00Z')).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T01:30:00.000Z', // 02:30 CET
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
    expect(prev('*/30 2 * * *', Z, '2026-10-25T01:59:00Z')).toBe('2026-10-25T01:30:00.000Z');
  });

  it('previousSlot sees the gap slot and the day before', () => {
    expect(prev('30 2 * * *', Z, '2026-03-29T01:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(prev('30 2 * * *', Z, '2026-03-29T00:59:59Z')).toBe('2026-03-28T01:30:00.000Z');
  });

  it('handles America/New_York (2026-03-08 and 2026-11-01)', () => {
    const NY = 'America/New_York';
    expect(next('30 2 * * *', NY, '2026-03-07T12:00:00Z')).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(next('30 2 * * *', NY, '2026-03-08T07:00:00Z')).toBe('2026-03-09T06:30:00.000Z'); // EDT
    expect(next('30 1 * * *', NY, '2026-10-31T12:00:00Z')).toBe('2026-11-01T05:30:00.000Z'); // EDT, once
    expect(next('30 1 * * *', NY, '2026-11-01T05:30:00Z')).toBe('2026-11-02T06:30:00.000Z');
  });

  it('respects notBefore', () => {
    expect(iso(previousSlot('0 0 1 1 *', 'UTC', new Date('2026-06-01T00:00:00Z'), new Date('2026-05-01T00:00:00Z')))).toBeNull();
    expect(iso(previousSlot('0 0 1 1 *', 'UTC', new Date('2026-06-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:00:00.000Z');
  });
});
