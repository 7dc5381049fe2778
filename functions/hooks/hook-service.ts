// POST /v1/hooks/<provider>: authenticate the delivery against the configured hooks of that
// provider (the hook is the one whose secret verifies), then read it and act on it. Order:
// 404 (no hook of the provider) → 401 (token, signature, replay window) → 400 (delivery
// id, body) → 202 with what was started, or why nothing was. The secret and the signature
// never reach a log line or an answer.
import type { WebhookConfig } from '../../shared/config/load';
import type { WebhookProvider } from '../../shared/config/webhook-schema';
import { ApiError, badRequest } from '../http/envelope';
import type { ProviderAdapter, RawDelivery } from './hook-event';
import { genericAdapter } from './provider-generic';
import { githubAdapter } from './provider-github';
import { gitlabAdapter } from './provider-gitlab';
import { type DeliveryAnswer, type DeliveryDeps, receiveDelivery } from './receive-delivery';

export interface HookLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
}

export interface HookServiceDeps extends DeliveryDeps {
  webhooks: readonly WebhookConfig[];
  now(): number;
  log?: HookLogger;
}

export interface HookService {
  receive(provider: WebhookProvider, raw: RawDelivery): Promise<DeliveryAnswer>;
}

const ADAPTERS: Record<WebhookProvider, ProviderAdapter> = { gitlab: gitlabAdapter, github: githubAdapter, generic: genericAdapter };

function jsonBody(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw badRequest('invalid_json', 'request body is not valid UTF-8 JSON', 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('invalid_json', 'request body must be a JSON object', 'body');
  return value;
}

export function createHookService(deps: HookServiceDeps): HookService {
  return {
    async receive(provider, raw) {
      const hooks = deps.webhooks.filter((h) => h.provider === provider);
      if (hooks.length === 0) throw new ApiError(404, 'hook_not_configured', `no ${provider} webhook is configured on this deployment`);
      const adapter = ADAPTERS[provider];
      let hook: WebhookConfig;
      try {
        hook = await adapter.authenticate(hooks, raw, deps.now());
      } catch (err) {
        if (err instanceof ApiError) deps.log?.warn(`webhook delivery refused: ${err.code}`, { provider, field: err.extra.field });
        throw err;
      }
      const deliveryId = adapter.deliveryId(raw.headers);
      const parsed = adapter.parse(raw.headers, jsonBody(raw.body));
      const answer = await receiveDelivery(deps, hook, deliveryId, parsed);
      deps.log?.info(`webhook ${hook.name}: delivery ${deliveryId}: ${answer.jobs.length} job(s)`, {
        provider,
        event: answer.event?.event ?? null,
        status: answer.event?.status ?? null,
        jobs: answer.jobs.map((j) => j.id),
        ...(answer.reason !== undefined ? { reason: answer.reason } : {}),
      });
      return answer;
    },
  };
}
