// Image name patterns such as `{server}-snap-{YYYYMMDD-HHmmss}`. A brace group is either
// a variable or a UTC date format built from YYYY MM DD HH mm ss and the separators - _ . T.
// Dates are UTC so names sort the same way regardless of the operator's zone.

export const DEFAULT_IMAGE_NAME_PATTERN = '{server}-snap-{YYYYMMDD-HHmmss}';

const VARIABLES = ['server', 'cloud', 'schedule', 'job', 'kind'] as const;
export type NameVariable = (typeof VARIABLES)[number];

const DATE_FORMAT = /^(?:YYYY|MM|DD|HH|mm|ss|[-_.T])+$/;
const GLANCE_NAME_MAX = 255;

/** Returns a problem description, or null when the pattern is usable. */
export function checkNamePattern(pattern: string): string | null {
  if (pattern.trim() === '') return 'must not be empty';
  let sawDate = false;
  let rest = pattern;
  for (const m of pattern.matchAll(/\{([^{}]*)\}/g)) {
    const inner = m[1] ?? '';
    if ((VARIABLES as readonly string[]).includes(inner)) continue;
    if (!DATE_FORMAT.test(inner)) {
      return `unknown placeholder {${inner}} (variables: ${VARIABLES.join(', ')}; or a date format of YYYY MM DD HH mm ss)`;
    }
    sawDate = true;
  }
  rest = pattern.replace(/\{[^{}]*\}/g, '');
  if (/[{}]/.test(rest)) return 'unbalanced braces';
  // Without a time component two snapshots of one server would get the same name.
  if (!sawDate) return 'needs a date placeholder such as {YYYYMMDD-HHmmss}';
  return null;
}

function formatDate(format: string, d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const values: Record<string, string> = {
    YYYY: pad(d.getUTCFullYear(), 4),
    MM: pad(d.getUTCMonth() + 1),
    DD: pad(d.getUTCDate()),
    HH: pad(d.getUTCHours()),
    mm: pad(d.getUTCMinutes()),
    ss: pad(d.getUTCSeconds()),
  };
  return format.replace(/YYYY|MM|DD|HH|mm|ss/g, (t) => values[t] ?? t);
}

export type NameVars = Partial<Record<NameVariable, string>> & { server: string; date: Date };

/** Renders a (validated) pattern; an absent optional variable renders as "". */
export function formatImageName(pattern: string, vars: NameVars): string {
  const problem = checkNamePattern(pattern);
  if (problem) throw new Error(`invalid image name pattern: ${problem}`);
  const name = pattern.replace(/\{([^{}]*)\}/g, (_m, inner: string) =>
    (VARIABLES as readonly string[]).includes(inner) ? (vars[inner as NameVariable] ?? '') : formatDate(inner, vars.date),
  );
  return name.length > GLANCE_NAME_MAX ? name.slice(0, GLANCE_NAME_MAX) : name;
}
