// Time-zone arithmetic on top of Intl.DateTimeFormat (available in Node and workerd),
// so the cron library needs no zone database of its own.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is an IANA zone name this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(tz: string, t: number): LocalParts {
  const out: Record<string, number> = {};
  let bc = false;
  for (const p of formatter(tz).formatToParts(new Date(t))) {
    if (p.type === 'era') bc = p.value.startsWith('B');
    else if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  const year = bc ? 1 - (out.year ?? 0) : (out.year ?? 0);
  return {
    year,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of `tz` from UTC at instant `t`, in ms (local = utc + offset). */
export function zoneOffsetMs(tz: string, t: number): number {
  const p = localParts(tz, t);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  // Intl drops milliseconds: compare at whole seconds.
  return wall - (t - (((t % 1000) + 1000) % 1000));
}
