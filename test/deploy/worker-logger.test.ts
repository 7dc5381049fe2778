import { describe, expect, it } from 'vitest';
import { createWorkerLogger } from '../../functions/worker-logger';

describe('Workers logger', () => {
  it('redacts secret-named fields and URL userinfo / query strings, in the message and in fields', () => {
    const lines: string[] = [];
    const sink = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const log = createWorkerLogger(sink);
    log.error('GET http://u:pw-1@h/v3?token=t-1 failed', {
      password: 'pw-2',
      nested: { url: 'https://x/hook?sig=s-1', err: new Error('at http://a:pw-3@b/') },
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'error',
      service: 'snapflow',
      msg: 'GET http://[redacted]@h/v3?[redacted] failed',
      password: '[redacted]',
      nested: { url: 'https://x/hook?[redacted]', err: 'Error: at http://[redacted]@b/' },
    });
  });
});
