// No OpenStack client error carries a URL's userinfo or query string, whatever produced
// it (undici, a service's error body), and a URL the client cannot even request is a
// configuration error that is not retried.
import { describe, expect, it } from 'vitest';
import { defaultClassifyError, toJobError } from '../../../shared/engine/classify';
import { createUndiciTransport } from '../../../shared/node/undici-transport';
import { errorFromResponse, InvalidRequestError, OpenStackNetworkError } from '../../../shared/openstack/errors';
import { send } from '../../../shared/openstack/http';

const SECRET = 'pw-in-url-7f3a9c';

describe('OpenStack client errors', () => {
  it('a URL with credentials: InvalidRequestError, not retried, the password nowhere', async () => {
    const transport = createUndiciTransport();
    try {
      const err = await send({ transport }, { service: 'identity', method: 'POST', url: `http://admin:${SECRET}@127.0.0.1:9/v3/auth/tokens` }).then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect(err.message).toMatch(/^identity POST \/v3\/auth\/tokens: the request could not be made \(.*http:\/\/\[redacted\]@127\.0\.0\.1:9/);
      expect(`${err.message} ${String(err.stack)} ${JSON.stringify(err)}`).not.toContain(SECRET);
      expect((err as { cause?: unknown }).cause).toBeUndefined();
      expect(defaultClassifyError(err)).toMatchObject({ action: 'fail', error: { code: 'openstack.invalid_request' } });
    } finally {
      await transport.close();
    }
  });

  it('transport errors naming a URL lose its userinfo and query string; still retried', async () => {
    const transport = {
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: new Error(`connect failed for http://u:${SECRET}@10.0.0.1/x?token=${SECRET}`) });
      },
    };
    const err = (await send({ transport }, { service: 'image', method: 'GET', url: 'http://127.0.0.1:9/v2/images?name=x' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(OpenStackNetworkError);
    expect(err.message).toBe('image GET /v2/images: fetch failed: connect failed for http://[redacted]@10.0.0.1/x?[redacted]');
    expect(defaultClassifyError(err).action).toBe('retry');
  });

  it('a service echoing a URL with a token in its error body', () => {
    const body = JSON.stringify({ badRequest: { code: 400, message: `cannot fetch https://store.example/o?temp_url_sig=${SECRET}` } });
    const err = errorFromResponse(
      { service: 'image', method: 'POST', path: '/v2/images/x/import' },
      400,
      new Headers({ 'content-type': 'application/json' }),
      body,
    );
    expect(err.message).not.toContain(SECRET);
    expect(err.serverMessage).toBe('cannot fetch https://store.example/o?[redacted]');
  });

  it('job errors (the way into the job table) are redacted whatever threw them', () => {
    const e = toJobError(new Error(`hook http://x:${SECRET}@hooks.example/p?k=${SECRET} failed`));
    expect(e.message).toBe('hook http://[redacted]@hooks.example/p?[redacted] failed');
  });
});
