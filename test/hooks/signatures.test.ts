// The WebCrypto HMAC the hook routes verify with, against GitHub's published test vector
// and an independent implementation (node:crypto).
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacKey, hmacSha256Hex, secretsEqual } from '../../shared/auth/hmac';
import { GITHUB_DOC_VECTOR } from './payloads-github';

describe('shared/auth/hmac.ts', () => {
  it("reproduces GitHub's X-Hub-Signature-256 test vector", async () => {
    const hex = await hmacSha256Hex(await hmacKey(GITHUB_DOC_VECTOR.secret), GITHUB_DOC_VECTOR.payload);
    expect(`sha256=${hex}`).toBe(GITHUB_DOC_VECTOR.signature);
  });

  it('signs "<timestamp>." + raw bytes as node:crypto signs their concatenation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string(), fc.uint8Array({ maxLength: 256 }), async (secret, prefix, bytes) => {
        const expected = createHmac('sha256', secret).update(prefix, 'utf8').update(bytes).digest('hex');
        expect(await hmacSha256Hex(await hmacKey(secret), prefix, bytes)).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('compares secrets of any length', async () => {
    expect(await secretsEqual('token-a', 'token-a')).toBe(true);
    expect(await secretsEqual('token-a', 'token-b')).toBe(false);
    expect(await secretsEqual('token', 'token-a-much-longer-one')).toBe(false);
  });
});
