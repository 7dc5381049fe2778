// The generic hook, for any CI that can run curl: X-Snapflow-Signature is `sha256=` + the
// hex HMAC-SHA256 of `<timestamp>.<raw body>` under the hook's secret, X-Snapflow-Timestamp
// the Unix time in seconds it was signed at (outside the hook's replay window: refused),
// X-Snapflow-Delivery the delivery id. The body is snapflow's own, so it is strict.
import { z } from 'zod';
import type { WebhookConfig } from '../../shared/config/load';
import { invalidInput } from '../http/validate';
import { deliveryIdFrom, requiredHeader, unauthorized } from './delivery-headers';
import type { ProviderAdapter } from './hook-event';
import { hookSigning } from './hook-keys';

const word = z.string().min(1).max(64);
const text = z.string().min(1).max(255);

export const genericEventSchema = z.strictObject({
  event: word,
  status: word,
  project: text,
  ref: text.optional(),
  sha: z
    .string()
    .regex(/^[0-9a-fA-F]{4,64}$/, { message: 'must be a hex commit id' })
    .optional(),
  pipeline_id: z
    .union([z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 . _ -' }), z.number().int().nonnegative()])
    .optional(),
  name: text.optional(),
  conclusion: word.optional(),
  server: text.optional(),
});

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

export const genericAdapter: ProviderAdapter = {
  provider: 'generic',

  async authenticate(hooks: readonly WebhookConfig[], raw, now) {
    const ts = requiredHeader(raw.headers, 'X-Snapflow-Timestamp', 'Unix seconds the delivery was signed at');
    if (!TIMESTAMP.test(ts)) throw unauthorized('bad_timestamp', 'X-Snapflow-Timestamp: must be Unix seconds', 'X-Snapflow-Timestamp');
    const sig = requiredHeader(raw.headers, 'X-Snapflow-Signature', 'sha256=<hex HMAC of "<timestamp>.<body>">');
    const m = SIGNATURE.exec(sig);
    if (!m) throw unauthorized('bad_signature', 'X-Snapflow-Signature: must be sha256=<64 hex digits>', 'X-Snapflow-Signature');
    const hook = await hookSigning(hooks, m[1]!.toLowerCase(), `${ts}.`, raw.body);
    if (!hook)
      throw unauthorized(
        'bad_signature',
        'X-Snapflow-Signature: does not match "<timestamp>.<body>" under the secret of a configured generic webhook',
        'X-Snapflow-Signature',
      );
    // Checked after the signature: only a holder of the secret learns about the window.
    const skewMs = Math.abs(now - Number(ts) * 1000);
    if (skewMs > hook.replayWindowMs) {
      throw unauthorized(
        'replay_window',
        `X-Snapflow-Timestamp: ${Math.round(skewMs / 1000)} s from now, outside the replay window of ${Math.round(hook.replayWindowMs / 1000)} s (sign again)`,
        'X-Snapflow-Timestamp',
      );
    }
    return hook;
  },

  deliveryId: (headers) => deliveryIdFrom(headers, 'X-Snapflow-Delivery'),

  parse(_headers, body) {
    const r = genericEventSchema.safeParse(body);
    if (!r.success) throw invalidInput(r.error.issues, 'body', body);
    const b = r.data;
    return {
      kind: 'event',
      event: {
        provider: 'generic',
        event: b.event,
        project: b.project,
        ref: b.ref ?? null,
        sha: b.sha ?? null,
        pipelineId: b.pipeline_id === undefined ? null : String(b.pipeline_id),
        status: b.status,
        conclusion: b.conclusion ?? null,
        name: b.name ?? null,
        server: b.server ?? null,
      },
    };
  },
};
