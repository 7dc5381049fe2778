import { describe, expect, it } from 'vitest';
import type { CronExpr } from '../../shared/schedule/cron';
import { nextAfter, parseCron, previousSlot, slotsBetween } from '../../shared/schedule/cron';
import { zoneOffsetMs } from '../../shared/schedule/tz';

// Brute-force oracle: walk every minute, derive the wall clock from the zone offset, and
// apply the Vixie DST rules directly. Offsets are sampled per 30 minutes, which is exact
// for zones whose transitions fall on whole or half hours (all the zones used here).
function oracleSlots(e: CronExpr, tz: string, after: number, horizonMin: number, max: number): number[] {
  const out: number[] = [];
  const offsetCache = new Map<number, number>();
  const offset = (t: number) => {
    const bucket = Math.floor(t / 1_800_000);
    let o = offsetCache.get(bucket);
    if (o === undefined) {
      o = zoneOffsetMs(tz, bucket * 1_800_000);
      offsetCache.set(bucket, o);
    }
    return o;
  };
  const matchesWall = (wall: number) => {
    const d = new Date(wall);
    if (!e.minutes[d.getUTCMinutes()] || !e.hours[d.getUTCHours()] || !e.months[d.getUTCMonth() + 1]) return false;
    const dom = e.doms[d.getUTCDate()] === true;
    const dow = e.dows[d.getUTCDay()] === true;
    return e.domStar || e.dowStar ? dom && dow : dom || dow;
  };
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < horizonMin; i++, t += 60_000) {
    const o = offset(t);
    const prevO = offset(t - 60_000);
    const wall = t + o;
    if (!e.wildcardTime && o > prevO) {
      // wall times skipped by this transition run now
      let skippedMatch = false;
      for (let w = t - 60_000 + prevO + 60_000; w < wall; w += 60_000) if (matchesWall(w)) skippedMatch = true;
      if (skippedMatch) {
        out.push(t);
        if (out.length >= max) return out;
        continue;
      }
    }
    if (!matchesWall(wall)) continue;
    if (!e.wildcardTime) {
      // second occurrence of a repeated wall time: the same wall time was seen at an earlier offset
      const earlier = [...new Set([offset(t - 3 * 3_600_000), offset(t - 3_600_000)])].some((oe) => oe > o && offset(wall - oe) === oe);
      if (earlier) continue;
    }
    out.push(t);
    if (out.length >= max) return out;
  }
  return out;
}

describe('nextAfter against a brute-force oracle', () => {
  // deterministic pseudo-random expressions
  let seed = 20261126;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor(seed / 65536) % n; // low LCG bits cycle quickly
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const minuteF = () => pick(['*', '0', '30', '*/15', '5,35', '10-20/5', `${rnd(60)}`, '*/7']);
  const hourF = () => pick(['*', '2', '0-3', '*/6', '1,2,3', `${rnd(24)}`, '22-23', '2/5']);
  const domF = () => pick(['*', '*', '*', '*', '1', '13', '1-7', '*/10', '28-31', `${1 + rnd(28)}`]);
  const monF = () => pick(['*', '*', '*', '*', '*', '3', '10', 'MAR,OCT,NOV', '*/2']);
  const dowF = () => pick(['*', '*', '*', '*', 'SUN', '1-5', 'FRI', '0,6', '7']);

  // each start lies within a day before a DST transition of its zone
  const starts: Array<[string, string]> = [
    ['Europe/Zurich', '2026-03-28T20:13:00Z'], // spring
    ['Europe/Zurich', '2026-10-24T21:00:00Z'], // autumn
    ['America/New_York', '2026-10-31T23:00:00Z'], // autumn
    ['America/New_York', '2026-03-07T18:59:00Z'], // spring
    ['Australia/Sydney', '2026-04-04T10:00:00Z'], // autumn
    ['Australia/Sydney', '2026-10-03T11:00:00Z'], // spring
    ['Asia/Kolkata', '2026-03-28T20:13:00Z'], // no DST, half-hour offset
    ['UTC', '2026-02-27T00:00:00Z'],
  ];

  it('agrees on 300 random expression/zone/start combinations', () => {
    let compared = 0;
    let windows = 0;
    for (let i = 0; i < 300; i++) {
      const text = `${minuteF()} ${hourF()} ${domF()} ${monF()} ${dowF()}`;
      let e: CronExpr;
      try {
        e = parseCron(text);
      } catch {
        continue;
      }
      const [tz, startIso] = pick(starts);
      const start = new Date(startIso).getTime();
      const horizon = 10 * 1440;
      // the first slot within 10 days, then every slot of a 3-day window over a transition
      const want = oracleSlots(e, tz, start, horizon, 1)[0] ?? null;
      const got = nextAfter(e, tz, new Date(start)).getTime();
      const label = `${text} in ${tz} after ${new Date(start).toISOString()}`;
      if (want === null) {
        expect(got, label).toBeGreaterThan(start + horizon * 60_000);
      } else {
        expect(new Date(got).toISOString(), label).toBe(new Date(want).toISOString());
        // previousSlot of a slot is that slot; just before it, it is at or before the start
        expect(previousSlot(e, tz, new Date(got))?.getTime()).toBe(got);
        expect(previousSlot(e, tz, new Date(got - 1))!.getTime()).toBeLessThanOrEqual(start);
      }
      const windowEnd = start + 3 * 86_400_000;
      const wantAll = oracleSlots(e, tz, start, 3 * 1440, 10_000).map((x) => new Date(x).toISOString());
      const gotAll = slotsBetween(e, tz, new Date(start), new Date(windowEnd)).map((d) => d.toISOString());
      expect(gotAll, label).toEqual(wantAll);
      if (wantAll.length > 0) windows++;
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
    expect(windows).toBeGreaterThan(100);
  });
});

describe('the oracle itself', () => {
  it('reproduces the hand-checked DST cases', () => {
    const Z = 'Europe/Zurich';
    const run = (e: string, from: string, days: number) =>
      oracleSlots(parseCron(e), Z, new Date(from).getTime(), days * 1440, 100).map((t) => new Date(t).toISOString());
    expect(run('30 2 * * *', '2026-10-24T00:00:00Z', 3)).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    expect(run('30 2 * * *', '2026-03-27T00:00:00Z', 4)).toEqual([
      '2026-03-27T01:30:00.000Z',
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });
});
