// Workers logs: one JSON line per message on the console (Workers Logs / `wrangler tail`
// parse it). Fields whose key could carry a secret are redacted, as a second line of
// defence behind code that never logs secrets (same keys as the Node logger); URLs in the
// message and in string fields lose their userinfo and query string.
import { redactUrlSecrets } from '../shared/config/redact-text';
import type { StepLogger } from '../shared/engine/define';

const SECRET_KEY = /password|token|secret|authorization|credential|clouds/i;

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrlSecrets(value);
  if (value instanceof Error) return redactUrlSecrets(`${value.name}: ${value.message}`);
  if (depth > 4 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createWorkerLogger(sink: Pick<Console, 'log' | 'warn' | 'error'> = console): StepLogger {
  const line = (level: string, message: string, data?: Record<string, unknown>) =>
    JSON.stringify({ level, service: 'snapflow', msg: redactUrlSecrets(message), ...(data ? (redact(data) as Record<string, unknown>) : {}) });
  return {
    info: (m, d) => sink.log(line('info', m, d)),
    warn: (m, d) => sink.warn(line('warn', m, d)),
    error: (m, d) => sink.error(line('error', m, d)),
  };
}
