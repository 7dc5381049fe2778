// JSON logs (pino) for the Node deployment. Engine and HTTP code log through the small
// StepLogger interface; this adapts it. Second line of defence behind code that never
// logs secrets: fields that could carry one are redacted by key, and every URL in the
// message or a field loses its userinfo and query string.
import pino from 'pino';
import { redactUrlSecrets, redactUrlSecretsDeep } from '../shared/config/redact-text';
import type { StepLogger } from '../shared/engine/define';

const REDACT = ['password', 'token', 'secret', 'authorization', 'headers.authorization', '*.password', '*.token', '*.secret'];

export function createNodeLogger(level = process.env.SNAPFLOW_LOG_LEVEL ?? 'info'): StepLogger & { warn: StepLogger['warn'] } {
  const p = pino({ level, base: { service: 'snapflow' }, redact: { paths: REDACT, censor: '[redacted]' } });
  const fields = (data: Record<string, unknown> | undefined) => (data ? (redactUrlSecretsDeep(data) as Record<string, unknown>) : {});
  return {
    info: (message, data) => p.info(fields(data), redactUrlSecrets(message)),
    warn: (message, data) => p.warn(fields(data), redactUrlSecrets(message)),
    error: (message, data) => p.error(fields(data), redactUrlSecrets(message)),
  };
}
