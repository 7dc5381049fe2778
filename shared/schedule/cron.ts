// A small 5-field cron library that runs unchanged on Node and in workerd: time zones
// come from Intl.DateTimeFormat, never from a Node-only package.
//
// Semantics follow Vixie cron:
// - day-of-month and day-of-week are OR-ed when both are restricted; if either field
//   starts with `*` (including `*/n`) they are AND-ed.
// - DST gap (spring forward): a fixed-time entry (minute and hour both without a leading
//   `*`) whose wall time does not exist fires once at the instant the gap ends; entries
//   with a wildcard minute or hour follow the wall clock and skip the missing times.
// - DST overlap (fall back): a fixed-time entry fires once, at the first occurrence;
//   a wildcard entry fires at both occurrences.
import { localParts, zoneOffsetMs } from './tz';

export class CronError extends Error {
  override name = 'CronError';
}

export interface CronExpr {
  readonly source: string;
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly doms: readonly boolean[];
  readonly months: readonly boolean[];
  /** 0 = Sunday … 6 = Saturday (7 is folded into 0). */
  readonly dows: readonly boolean[];
  readonly domStar: boolean;
  readonly dowStar: boolean;
  /** minute or hour starts with `*`: wall-clock entry for the DST rules. */
  readonly wildcardTime: boolean;
}

/** The @-macros and their five-field form (Cron Triggers take only the five-field form). */
export const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DOW_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** value the first name maps to */
  nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day-of-month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { label: 'day-of-week', min: 0, max: 7, names: DOW_NAMES, nameBase: 0 },
];

function parseValue(token: string, spec: FieldSpec): number {
  if (spec.names) {
    const idx = spec.names.indexOf(token.toUpperCase());
    if (idx >= 0) return idx + (spec.nameBase ?? 0);
  }
  if (!/^\d+$/.test(token)) throw new CronError(`${spec.label}: invalid value "${token}"`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) {
    throw new CronError(`${spec.label}: ${n} out of range ${spec.min}-${spec.max}`);
  }
  return n;
}

function parseField(text: string, spec: FieldSpec): boolean[] {
  const bits: boolean[] = new Array<boolean>(spec.max + 1).fill(false);
  if (text === '') throw new CronError(`${spec.label}: empty field`);
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(`${spec.label}: empty list element in "${text}"`);
    const [rangePart, stepPart, extra] = part.split('/');
    if (extra !== undefined || rangePart === undefined) {
      throw new CronError(`${spec.label}: invalid step in "${part}"`);
    }
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) < 1) {
        throw new CronError(`${spec.label}: invalid step "${stepPart}"`);
      }
      step = Number(stepPart);
    }
    let lo: number;
    let hi: number;
    if (rangePart === '*') {
      lo = spec.min;
      hi = spec.label === 'day-of-week' ? 6 : spec.max;
    } else if (rangePart.includes('-')) {
      const [a, b, more] = rangePart.split('-');
      if (more !== undefined || a === undefined || b === undefined) {
        throw new CronError(`${spec.label}: invalid range "${rangePart}"`);
      }
      lo = parseValue(a, spec);
      hi = parseValue(b, spec);
      if (hi < lo) throw new CronError(`${spec.label}: reversed range "${rangePart}"`);
    } else {
      lo = parseValue(rangePart, spec);
      // `5/15` means "from 5 to the end, every 15" (as in cronie); a bare value is just itself
      hi = stepPart !== undefined ? spec.max : lo;
    }
    for (let v = lo; v <= hi; v += step) bits[v] = true;
  }
  return bits;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function parseCron(expression: string): CronExpr {
  const source = expression.trim();
  const expanded = source.startsWith('@') ? CRON_ALIASES[source.toLowerCase()] : source;
  if (expanded === undefined) throw new CronError(`unknown alias "${source}"`);
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) {
    throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`);
  }
  const [mi, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const minutes = parseField(mi, FIELDS[0]!);
  const hours = parseField(h, FIELDS[1]!);
  const doms = parseField(dom, FIELDS[2]!);
  const months = parseField(mon, FIELDS[3]!);
  const dowsRaw = parseField(dow, FIELDS[4]!);
  const dows = dowsRaw.slice(0, 7);
  if (dowsRaw[7]) dows[0] = true;
  const expr: CronExpr = {
    source,
    minutes,
    hours,
    doms,
    months,
    dows,
    domStar: dom.startsWith('*'),
    dowStar: dow.startsWith('*'),
    wildcardTime: mi.startsWith('*') || h.startsWith('*'),
  };
  // An AND-ed day set that no month can contain (e.g. `0 0 30 2 *`) would make every
  // search run to its horizon: reject it up front.
  if (expr.domStar || expr.dowStar) {
    let possible = false;
    for (let m = 1; m <= 12 && !possible; m++) {
      if (!months[m]) continue;
      for (let d = 1; d <= DAYS_IN_MONTH[m - 1]!; d++) if (doms[d]) possible = true;
    }
    if (!possible) throw new CronError('day-of-month never occurs in the selected months');
  }
  return expr;
}

// Schedules pass the same few expression strings on every tick: parse each once.
const parsedCache = new Map<string, CronExpr>();

function toExpr(expr: string | CronExpr): CronExpr {
  if (typeof expr !== 'string') return expr;
  let e = parsedCache.get(expr);
  if (!e) {
    e = parseCron(expr);
    if (parsedCache.size >= 256) parsedCache.clear();
    parsedCache.set(expr, e);
  }
  return e;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
// 28 years covers every Gregorian weekday/leap-day combination except across 2100.
const HORIZON_DAYS = 366 * 30;

function dayMatches(e: CronExpr, dayUtc: number): boolean {
  const d = new Date(dayUtc);
  if (!e.months[d.getUTCMonth() + 1]) return false;
  const domOk = e.doms[d.getUTCDate()] === true;
  const dowOk = e.dows[d.getUTCDay()] === true;
  return e.domStar || e.dowStar ? domOk && dowOk : domOk || dowOk;
}

/** First instant in [lo, hi] whose offset is no longer the one at `lo` (minute precision). */
function transitionInstant(tz: string, lo: number, hi: number): number {
  const first = zoneOffsetMs(tz, lo);
  for (let i = 0; i < 64 && hi - lo > MINUTE_MS; i++) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (zoneOffsetMs(tz, mid) === first) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** All slot instants (ms, sorted, unique) of one local calendar day. */
function slotsOfDay(e: CronExpr, tz: string, dayUtc: number): number[] {
  if (!dayMatches(e, dayUtc)) return [];
  // Offsets 14 h either side of the day are outside it in every zone: if equal, assume
  // no transition inside the day. Otherwise locate the (single) transition once, so each
  // wall time is resolved without further Intl calls.
  const lo = dayUtc - 14 * 3_600_000;
  const hi = dayUtc + DAY_MS + 14 * 3_600_000;
  const before = zoneOffsetMs(tz, lo);
  const after = zoneOffsetMs(tz, hi);
  const switchAt = before === after ? Infinity : transitionInstant(tz, lo, hi);
  const out = new Set<number>();
  for (let h = 0; h < 24; h++) {
    if (!e.hours[h]) continue;
    for (let m = 0; m < 60; m++) {
      if (!e.minutes[m]) continue;
      const wall = dayUtc + h * 3_600_000 + m * MINUTE_MS;
      if (before === after) {
        out.add(wall - before);
        continue;
      }
      const instants: number[] = [];
      if (wall - before < switchAt) instants.push(wall - before);
      if (wall - after >= switchAt) instants.push(wall - after);
      instants.sort((a, b) => a - b);
      if (instants.length === 0) {
        // the wall time fell into the gap: fixed-time entries run when it ends
        if (!e.wildcardTime) out.add(switchAt);
      } else if (instants.length === 1 || e.wildcardTime) {
        for (const t of instants) out.add(t);
      } else {
        out.add(instants[0]!);
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

function localDayUtc(tz: string, t: number): number {
  const p = localParts(tz, t);
  return Date.UTC(p.year, p.month - 1, p.day);
}

/** The first slot strictly after `date`. */
export function nextAfter(expr: string | CronExpr, tz: string, date: Date): Date {
  const e = toExpr(expr);
  const t = date.getTime();
  const start = localDayUtc(tz, t) - DAY_MS;
  let best: number | null = null;
  for (let i = 0; i <= HORIZON_DAYS; i++) {
    const day = start + i * DAY_MS;
    // One extra day past the first hit guards against DST overlaps across midnight.
    if (best !== null && day > localDayUtc(tz, best) + DAY_MS) break;
    for (const s of slotsOfDay(e, tz, day)) {
      if (s > t && (best === null || s < best)) best = s;
    }
  }
  if (best === null) throw new CronError(`no slot of "${e.source}" within ${HORIZON_DAYS} days`);
  return new Date(best);
}

/**
 * The most recent slot at or before `date`, or null if none lies in the search range
 * (which `notBefore` can shorten, e.g. to a grace window).
 */
export function previousSlot(expr: string | CronExpr, tz: string, date: Date, notBefore?: Date): Date | null {
  const e = toExpr(expr);
  const t = date.getTime();
  const floor = notBefore?.getTime() ?? -Infinity;
  const start = localDayUtc(tz, t) + DAY_MS;
  let best: number | null = null;
  for (let i = 0; i <= HORIZON_DAYS; i++) {
    const day = start - i * DAY_MS;
    if (best !== null && day < localDayUtc(tz, best) - DAY_MS) break;
    // The whole local day ends before the floor: nothing earlier can qualify.
    if (day + DAY_MS + 14 * 3_600_000 < floor) break;
    for (const s of slotsOfDay(e, tz, day)) {
      if (s <= t && s >= floor && (best === null || s > best)) best = s;
    }
  }
  return best === null ? null : new Date(best);
}

/** Every slot in (from, to], ascending; at most `limit` of them so a huge range cannot spin. */
export function slotsBetween(expr: string | CronExpr, tz: string, from: Date, to: Date, limit = 10_000): Date[] {
  const e = toExpr(expr);
  const a = from.getTime();
  const b = to.getTime();
  const out: number[] = [];
  if (b <= a) return [];
  const last = localDayUtc(tz, b) + DAY_MS;
  for (let day = localDayUtc(tz, a) - DAY_MS; day <= last && out.length < limit; day += DAY_MS) {
    for (const s of slotsOfDay(e, tz, day)) if (s > a && s <= b) out.push(s);
  }
  // adjacent local days can interleave around a DST overlap at midnight
  return [...new Set(out)]
    .sort((x, y) => x - y)
    .slice(0, limit)
    .map((t) => new Date(t));
}
