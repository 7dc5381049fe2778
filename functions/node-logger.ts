// JSON logs (pino) for the Node deployment. Engine and HTTP code log through the small
// StepLogger interface; this adapts it. Fields that could carry a secret are redacted
// by key, as a second line of defence behind code that never logs secrets.
import pino from 'pino';
import type { StepLogger } from '../shared/engine/define';

const REDACT = ['password', 'token', 'secret', 'authorization', 'headers.authorization', '*.password', '*.token', '*.secret'];

export function createNodeLogger(level = process.env.SNAPFLOW_LOG_LEVEL ?? 'info'): StepLogger & { warn: StepLogger['warn'] } {
  const p = pino({ level, base: { service: 'snapflow' }, redact: { paths: REDACT, censor: '[redacted]' } });
  return {
    info: (message, data) => p.info(data ?? {}, message),
    warn: (message, data) => p.warn(data ?? {}, message),
    error: (message, data) => p.error(data ?? {}, message),
  };
}
