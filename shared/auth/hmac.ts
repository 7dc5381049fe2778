// HMAC-SHA256 with WebCrypto (Node 20 and workerd alike: no node:crypto), for webhook
// signatures. Keys are imported once per secret and reused.
import { constantTimeEqual, sha256Hex } from './hash';

const encoder = new TextEncoder();

/** WebCrypto's key type (the global `CryptoKey` is not in this project's TypeScript libs). */
export type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function hmacKey(secret: string): Promise<HmacKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/** Lowercase hex HMAC-SHA256 of `parts` concatenated (strings as UTF-8, bytes as they are). */
export async function hmacSha256Hex(key: HmacKey, ...parts: Array<string | Uint8Array>): Promise<string> {
  const chunks = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return hex(await crypto.subtle.sign('HMAC', key, data));
}

/**
 * Compares a presented secret with the expected one in time independent of where they
 * differ and of the presented length: both are hashed first, so only digests of equal
 * length are compared.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return constantTimeEqual(a, b);
}
