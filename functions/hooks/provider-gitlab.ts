// GitLab: the hook's secret token comes back verbatim in X-Gitlab-Token (no signature);
// Pipeline Hook and Job Hook events. The delivery id is Idempotency-Key (GitLab 17.4+: the
// same on every retry of a delivery), else X-Gitlab-Event-UUID (older versions).
import { z } from 'zod';
import { secretsEqual } from '../../shared/auth/hmac';
import type { WebhookConfig } from '../../shared/config/load';
import { badRequest } from '../http/envelope';
import { invalidInput } from '../http/validate';
import { deliveryIdFrom, requiredHeader, unauthorized } from './delivery-headers';
import type { HookEvent, ParsedDelivery, ProviderAdapter } from './hook-event';

/** A pipeline variable naming the server the pipeline wants: only rules for it may run. */
export const SERVER_VARIABLE = 'SNAPFLOW_SERVER';

const project = z.object({ path_with_namespace: z.string().min(1) });

// Only the fields snapflow reads; GitLab sends many more (and adds some in new versions).
export const gitlabPipelineSchema = z.object({
  object_kind: z.literal('pipeline'),
  object_attributes: z.object({
    id: z.number().int(),
    name: z.string().nullish(),
    ref: z.string(),
    sha: z.string(),
    status: z.string().min(1),
    variables: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  }),
  project,
});

export const gitlabJobSchema = z.object({
  object_kind: z.literal('build'),
  ref: z.string(),
  sha: z.string(),
  build_name: z.string(),
  build_status: z.string().min(1),
  pipeline_id: z.number().int(),
  project,
});

const EVENTS: Record<string, 'pipeline' | 'job'> = { 'Pipeline Hook': 'pipeline', 'Job Hook': 'job' };

function parsed<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw invalidInput(r.error.issues, 'body', body);
  return r.data;
}

function event(fields: Omit<HookEvent, 'provider' | 'conclusion'>): ParsedDelivery {
  return { kind: 'event', event: { provider: 'gitlab', conclusion: null, ...fields } };
}

export const gitlabAdapter: ProviderAdapter = {
  provider: 'gitlab',

  async authenticate(hooks: readonly WebhookConfig[], raw) {
    const token = requiredHeader(raw.headers, 'X-Gitlab-Token', "the hook's secret token");
    let found: WebhookConfig | undefined;
    for (const hook of hooks) if ((await secretsEqual(token, hook.secret)) && !found) found = hook;
    if (!found) throw unauthorized('bad_token', 'X-Gitlab-Token: not the secret token of a configured gitlab webhook', 'X-Gitlab-Token');
    return found;
  },

  deliveryId: (headers) => deliveryIdFrom(headers, 'Idempotency-Key', 'X-Gitlab-Event-UUID'),

  parse(headers, body) {
    const name = headers.get('X-Gitlab-Event');
    if (name === null) throw badRequest('invalid_header', 'X-Gitlab-Event: required', 'X-Gitlab-Event');
    const kind = EVENTS[name];
    if (!kind) return { kind: 'ignored', reason: `X-Gitlab-Event "${name}" is not handled (snapflow handles ${Object.keys(EVENTS).join(', ')})` };
    if (kind === 'pipeline') {
      const p = parsed(gitlabPipelineSchema, body);
      const a = p.object_attributes;
      const server = a.variables?.find((v) => v.key === SERVER_VARIABLE)?.value;
      return event({
        event: 'pipeline',
        project: p.project.path_with_namespace,
        ref: a.ref,
        sha: a.sha,
        pipelineId: String(a.id),
        status: a.status,
        name: a.name ?? null,
        server: server || null,
      });
    }
    const j = parsed(gitlabJobSchema, body);
    return event({
      event: 'job',
      project: j.project.path_with_namespace,
      ref: j.ref,
      sha: j.sha,
      pipelineId: String(j.pipeline_id),
      status: j.build_status,
      name: j.build_name,
      server: null,
    });
  },
};
