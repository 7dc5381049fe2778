import { describe, expect, it } from 'vitest';
import { defaultClassifyError, toJobError } from '../../shared/engine/classify';
import { NonRetryableError, RetryAfterError, StepTimeoutError } from '../../shared/engine/errors';

// Shaped like the OpenStack client's typed errors (duck-typed on purpose).
class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly service = 'compute',
    readonly requestId = 'req-1',
    readonly retryAfter?: number,
  ) {
    super(`${service} answered ${status}`);
    this.name = 'OpenStackError';
  }
}

describe('defaultClassifyError', () => {
  it('fails NonRetryableError and keeps its code', () => {
    expect(defaultClassifyError(new NonRetryableError('no', { code: 'bad_flavor' }))).toEqual({ action: 'fail', error: { code: 'bad_flavor', message: 'no' } });
  });

  it('retries RetryAfterError after its delay', () => {
    expect(defaultClassifyError(new RetryAfterError(1234))).toMatchObject({ action: 'retry', afterMs: 1234 });
  });

  it.each([400, 401, 403, 404, 413, 422])('fails HTTP %i', (status) => {
    const d = defaultClassifyError(new FakeApiError(status));
    expect(d.action).toBe('fail');
    expect(d.error).toEqual({ code: `http_${status}`, message: `compute answered ${status}`, status, service: 'compute', requestId: 'req-1' });
  });

  it.each([408, 409, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    expect(defaultClassifyError(new FakeApiError(status)).action).toBe('retry');
  });

  it('turns an OverLimit retryAfter (seconds) into a delay floor', () => {
    expect(defaultClassifyError(new FakeApiError(413 + 16, 'compute', 'r', 7))).toMatchObject({ action: 'retry', afterMs: 7000 });
  });

  it('retries timeouts and network errors', () => {
    expect(defaultClassifyError(new StepTimeoutError('s', 5))).toMatchObject({ action: 'retry', error: { code: 'timeout' } });
    const abort = new Error('The operation was aborted');
    abort.name = 'AbortError';
    expect(defaultClassifyError(abort)).toMatchObject({ action: 'retry', error: { code: 'timeout' } });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(defaultClassifyError(new TypeError('fetch failed', { cause: refused }))).toMatchObject({ action: 'retry', error: { code: 'network' } });
  });

  it('retries unknown errors and non-errors', () => {
    expect(defaultClassifyError(new Error('boom'))).toEqual({ action: 'retry', error: { code: 'error', message: 'boom' } });
    expect(defaultClassifyError('a string')).toEqual({ action: 'retry', error: { code: 'error', message: 'a string' } });
  });
});

describe('toJobError', () => {
  it('caps long messages', () => {
    expect(toJobError(new Error('x'.repeat(5000))).message.length).toBeLessThanOrEqual(1001);
  });
});
