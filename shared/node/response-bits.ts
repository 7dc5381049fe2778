import { Writable } from 'node:stream';

// Small pieces shared by the Node transfer paths (undici-transport.ts, resumable-download.ts).

/** Error bodies are kept up to this size; the rest is read and dropped. */
export const MAX_ERROR_BODY = 64 * 1024;

/** A sink for a non-2xx body: keeps its first MAX_ERROR_BODY bytes in `into`. */
export function collector(into: Buffer[]): Writable {
  let size = 0;
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < MAX_ERROR_BODY) into.push(chunk.subarray(0, MAX_ERROR_BODY - size));
      size += chunk.length;
      cb();
    },
  });
}

export function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v)) for (const item of v) h.append(k, item);
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}
