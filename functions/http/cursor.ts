// Opaque list cursors: clients pass back what `next` said and never build one. Versioned
// so the encoding can change without misreading an old cursor.
import { badRequest } from './envelope';

const PREFIX = 'j1.';

function toBase64Url(s: string): string {
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

export function encodeJobCursor(seq: number): string {
  return toBase64Url(`${PREFIX}${seq}`);
}

/** The seq to continue before, or a 400 naming `cursor`. */
export function decodeJobCursor(cursor: string): number {
  let text: string;
  try {
    text = fromBase64Url(cursor);
  } catch {
    throw badRequest('invalid_query', 'cursor: not a cursor returned by this API', 'cursor');
  }
  const m = /^j1\.(\d{1,15})$/.exec(text);
  if (!m) throw badRequest('invalid_query', 'cursor: not a cursor returned by this API', 'cursor');
  return Number(m[1]);
}
