import { describe, expect, it } from 'vitest';
import { redactUrlSecrets, redactUrlSecretsDeep, urlHasCredentials } from '../../shared/config/redact-text';

describe('redactUrlSecrets', () => {
  it.each([
    ['GET http://user:s3cr3t@keystone:5000/v3/auth/tokens failed', 'GET http://[redacted]@keystone:5000/v3/auth/tokens failed'],
    ['https://hooks.example/x?token=abc&y=1#frag', 'https://hooks.example/x?[redacted]#[redacted]'],
    ['(http://u:p@a:1/v3?q=1)', '(http://[redacted]@a:1/v3?[redacted])'],
    ['two: http://a.example/p and https://only-token@b.example/q', 'two: http://a.example/p and https://[redacted]@b.example/q'],
    ['pass:w@rd:x is not a URL', 'pass:w@rd:x is not a URL'],
    ['mail me@example.org at http://example.org/a@b', 'mail me@example.org at http://example.org/a@b'],
    ['postgres://snap:pg-pass@db:5432/jobs?sslmode=require', 'postgres://[redacted]@db:5432/jobs?[redacted]'],
    ['http://u:p@ss@host/v3', 'http://[redacted]@host/v3'],
  ])('%s', (input, expected) => {
    expect(redactUrlSecrets(input)).toBe(expected);
  });

  it('walks log payloads, errors included, without a stack', () => {
    const out = redactUrlSecretsDeep({ a: ['http://u:pw@h/x'], b: { c: new Error('at http://h/y?token=t') }, n: 3 });
    expect(out).toEqual({ a: ['http://[redacted]@h/x'], b: { c: 'Error: at http://h/y?[redacted]' }, n: 3 });
  });

  it('tells URLs with credentials apart', () => {
    expect(urlHasCredentials('http://user:pw@host:5000/v3')).toBe(true);
    expect(urlHasCredentials('http://user@host/v3')).toBe(true);
    expect(urlHasCredentials('http://host:5000/v3')).toBe(false);
  });
});
