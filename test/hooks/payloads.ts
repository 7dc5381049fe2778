// Deliveries as the providers send them, signed here with node:crypto: an implementation
// independent of the service's WebCrypto one. This file: the shape every delivery has, and
// the generic hook's (snapflow's own format, as the README's curl lines sign it). GitLab's
// and GitHub's, written from their webhook documentation: payloads-gitlab.ts, payloads-github.ts.
import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

export const json = (v: unknown) => JSON.stringify(v);
export const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8').digest('hex');

/** The generic hook: HMAC over "<timestamp>.<body>", as the README's curl lines sign it. */
export function generic(o: { secret: string; body: Record<string, unknown>; at?: number; delivery?: string }): Delivery {
  const body = json(o.body);
  const ts = String(Math.floor((o.at ?? Date.now()) / 1000));
  return {
    headers: {
      'Content-Type': 'application/json',
      'X-Snapflow-Timestamp': ts,
      'X-Snapflow-Delivery': o.delivery ?? randomUUID(),
      'X-Snapflow-Signature': `sha256=${hmac(o.secret, `${ts}.${body}`)}`,
    },
    body,
  };
}
