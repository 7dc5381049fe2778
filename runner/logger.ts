import pino, { type DestinationStream } from 'pino';

// JSON lines on stdout (journald keeps them). The code never passes a secret to the logger;
// keys that could hold one are redacted anyway, as a second line of defence.

export interface RunnerLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

const REDACT = ['token', 'leaseToken', 'password', 'secret', 'authorization', '*.token', '*.leaseToken', '*.password', '*.secret', '*.authorization'];

export function createRunnerLogger(level: string, base: Record<string, unknown>, destination?: DestinationStream): RunnerLogger {
  const p = pino({ level, base: { service: 'snapflow-runner', ...base }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
  return {
    debug: (m, d) => p.debug(d ?? {}, m),
    info: (m, d) => p.info(d ?? {}, m),
    warn: (m, d) => p.warn(d ?? {}, m),
    error: (m, d) => p.error(d ?? {}, m),
  };
}
