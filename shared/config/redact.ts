import type { Config } from './load';

const HIDDEN = '[redacted]';

/** A URL reduced to its origin: chat webhook URLs carry their secret in the path. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const more = u.pathname !== '/' || u.search !== '' ? '/…' : '';
    return `${u.protocol}//${u.host}${more}`;
  } catch {
    return HIDDEN;
  }
}

function redactDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // libpq also accepts the password as a query parameter
    for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return HIDDEN;
  }
}

/** The configuration as it may be logged: no secret, hash or secret-bearing URL. */
export function redact(config: Config) {
  return {
    listen: { ...config.listen },
    database: { url: redactDatabaseUrl(config.database.url) },
    deadlines: { ...config.deadlines },
    images: { ...config.images },
    hooks: config.hooks.postSnapshot ? { postSnapshot: { url: redactUrl(config.hooks.postSnapshot.url), timeoutMs: config.hooks.postSnapshot.timeoutMs } } : {},
    notifications: config.notifications.map((n) => ({ name: n.name, url: redactUrl(n.url), on: [...n.on] })),
    tokens: config.tokens.map((t) => ({ name: t.name, sha256: HIDDEN, scopes: [...t.scopes], targets: [...t.targets] })),
    webhooks: config.webhooks.map((w) => ({ ...w, secret: HIDDEN, targets: [...w.targets] })),
    limits: { ...config.limits },
    schedules: { ...config.schedules },
  };
}
