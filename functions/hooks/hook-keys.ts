// One imported HMAC key per configured hook (the config objects live as long as the service).

import { constantTimeEqual } from '../../shared/auth/hash';
import { type HmacKey, hmacKey, hmacSha256Hex } from '../../shared/auth/hmac';
import type { WebhookConfig } from '../../shared/config/load';

const keys = new WeakMap<WebhookConfig, Promise<HmacKey>>();

function keyOf(hook: WebhookConfig): Promise<HmacKey> {
  let k = keys.get(hook);
  if (!k) {
    k = hmacKey(hook.secret);
    keys.set(hook, k);
  }
  return k;
}

/**
 * The hook whose secret signs `parts` to `presentedHex` (lowercase hex of HMAC-SHA256), or
 * undefined. Every hook is tried, so the time taken does not say which one came close.
 */
export async function hookSigning(
  hooks: readonly WebhookConfig[],
  presentedHex: string,
  ...parts: Array<string | Uint8Array>
): Promise<WebhookConfig | undefined> {
  let found: WebhookConfig | undefined;
  for (const hook of hooks) {
    const expected = await hmacSha256Hex(await keyOf(hook), ...parts);
    if (constantTimeEqual(expected, presentedHex) && !found) found = hook;
  }
  return found;
}
