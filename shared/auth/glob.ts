// Target patterns over `cloud/project/server`. Matching works on segment arrays, so a
// server name containing "/" stays one segment and cannot be escaped into by a pattern.
//   `*`  any characters within one segment      `?` one character
//   `**` any number of whole segments (also zero)
// A pattern that is just `*` means "anything" (shorthand for `**`).

/** A segment whose value is unknown: only `*` and `**` match it. */
export const UNKNOWN_SEGMENT: unique symbol = Symbol('unknown segment');
export type Segment = string | typeof UNKNOWN_SEGMENT;

function segmentRegex(seg: string): RegExp {
  const body = seg
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

export function compileGlob(pattern: string): (segments: readonly Segment[]) => boolean {
  const parts = pattern === '*' ? ['**'] : pattern.split('/');
  const matchers = parts.map((p) => (p === '**' ? '**' : p === '*' ? '*' : segmentRegex(p)));
  const match = (pi: number, si: number, segs: readonly Segment[]): boolean => {
    if (pi === matchers.length) return si === segs.length;
    const m = matchers[pi]!;
    if (m === '**') {
      for (let k = si; k <= segs.length; k++) if (match(pi + 1, k, segs)) return true;
      return false;
    }
    if (si >= segs.length) return false;
    const seg = segs[si]!;
    if (m === '*') return match(pi + 1, si + 1, segs);
    if (seg === UNKNOWN_SEGMENT) return false;
    return m.test(seg) && match(pi + 1, si + 1, segs);
  };
  return (segments) => match(0, 0, segments);
}

export function matchGlob(pattern: string, segments: readonly Segment[]): boolean {
  return compileGlob(pattern)(segments);
}

/** Problem with a target pattern, or null if it is usable. */
export function checkTargetPattern(pattern: string): string | null {
  if (pattern === '') return 'must not be empty';
  if (pattern.split('/').some((s) => s === '')) return 'has an empty segment';
  return null;
}
