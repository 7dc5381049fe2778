// URLs inside free text (error messages, log lines) lose their userinfo, query string and
// fragment: `http://user:pw@host:5000/v3?token=x` → `http://[redacted]@host:5000/v3?[redacted]`.
// Those are the parts of a URL that carry secrets (a password pasted into auth_url, a
// chat webhook's ?token=); scheme, host and path stay, so the message still says where.
// Used where messages are built (OpenStack client errors) and again where they leave the
// process (logger, /healthz, job events), so one forgotten call site cannot leak.

const HIDDEN = '[redacted]';

// scheme://[userinfo@]rest[?query][#fragment]; userinfo is everything up to the last "@"
// before the first "/", so a password containing "@" or ":" is covered whole.
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)(?:([^\s/?#]*)@)?([^\s?#"'<>`]*)(\?[^\s#"'<>`]*)?(#[^\s"'<>`]*)?/gi;

export function redactUrlSecrets(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (_m, scheme: string, userinfo: string | undefined, rest: string, query = '', fragment = '') => {
    // punctuation closing the sentence around the URL is kept: "(see http://h/?t=x)."
    const tail = /[).,;\]]+$/.exec(fragment || query)?.[0] ?? '';
    if (fragment) fragment = fragment.slice(0, fragment.length - tail.length);
    else query = query.slice(0, query.length - tail.length);
    const who = userinfo !== undefined ? `${HIDDEN}@` : '';
    const q = query.length > 1 ? `?${HIDDEN}` : query;
    const f = fragment.length > 1 ? `#${HIDDEN}` : fragment;
    return `${scheme}${who}${rest}${q}${f}${tail}`;
  });
}

/** True when a URL carries a user name or password (`scheme://user:pw@host`). */
export function urlHasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]*@/i.test(url);
  }
}

const MAX_DEPTH = 6;

/** A deep copy of a log payload with every string passed through redactUrlSecrets. */
export function redactUrlSecretsDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrlSecrets(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (value instanceof Error) return `${value.name}: ${redactUrlSecrets(value.message)}`;
  if (Array.isArray(value)) return value.map((v) => redactUrlSecretsDeep(v, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactUrlSecretsDeep(v, depth + 1);
  return out;
}
