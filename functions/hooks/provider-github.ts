// GitHub: X-Hub-Signature-256 is `sha256=` + the hex HMAC-SHA256 of the raw body under the
// hook's secret; X-GitHub-Event names the event (workflow_run, workflow_job; `ping` when the
// hook is created); X-GitHub-Delivery is the delivery id, kept on a redelivery.
import { z } from 'zod';
import type { WebhookConfig } from '../../shared/config/load';
import { badRequest } from '../http/envelope';
import { invalidInput } from '../http/validate';
import { deliveryIdFrom, requiredHeader, unauthorized } from './delivery-headers';
import type { HookEvent, ParsedDelivery, ProviderAdapter } from './hook-event';
import { hookSigning } from './hook-keys';

const repository = z.object({ full_name: z.string().min(1) });

export const githubWorkflowRunSchema = z.object({
  action: z.string().min(1),
  workflow_run: z.object({
    id: z.number().int(),
    name: z.string().nullish(),
    head_branch: z.string().nullable(),
    head_sha: z.string(),
    conclusion: z.string().nullable(),
  }),
  repository,
});

export const githubWorkflowJobSchema = z.object({
  action: z.string().min(1),
  workflow_job: z.object({
    id: z.number().int(),
    run_id: z.number().int(),
    name: z.string(),
    head_branch: z.string().nullish(),
    head_sha: z.string(),
    conclusion: z.string().nullable(),
  }),
  repository,
});

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

function parsed<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw invalidInput(r.error.issues, 'body', body);
  return r.data;
}

function event(fields: Omit<HookEvent, 'provider' | 'server'>): ParsedDelivery {
  return { kind: 'event', event: { provider: 'github', server: null, ...fields } };
}

export const githubAdapter: ProviderAdapter = {
  provider: 'github',

  async authenticate(hooks: readonly WebhookConfig[], raw) {
    const header = requiredHeader(raw.headers, 'X-Hub-Signature-256', 'sha256=<hex HMAC of the body>');
    const m = SIGNATURE.exec(header);
    if (!m) throw unauthorized('bad_signature', 'X-Hub-Signature-256: must be sha256=<64 hex digits>', 'X-Hub-Signature-256');
    const hook = await hookSigning(hooks, m[1]!.toLowerCase(), raw.body);
    if (!hook)
      throw unauthorized(
        'bad_signature',
        'X-Hub-Signature-256: does not match the body under the secret of a configured github webhook',
        'X-Hub-Signature-256',
      );
    return hook;
  },

  deliveryId: (headers) => deliveryIdFrom(headers, 'X-GitHub-Delivery'),

  parse(headers, body) {
    const name = headers.get('X-GitHub-Event');
    if (name === null) throw badRequest('invalid_header', 'X-GitHub-Event: required', 'X-GitHub-Event');
    if (name === 'ping') return { kind: 'ignored', reason: 'ping: the webhook reaches snapflow and its signature verifies' };
    if (name === 'workflow_run') {
      const p = parsed(githubWorkflowRunSchema, body);
      const r = p.workflow_run;
      return event({
        event: name,
        project: p.repository.full_name,
        ref: r.head_branch,
        sha: r.head_sha,
        pipelineId: String(r.id),
        status: p.action,
        conclusion: r.conclusion,
        name: r.name ?? null,
      });
    }
    if (name === 'workflow_job') {
      const p = parsed(githubWorkflowJobSchema, body);
      const j = p.workflow_job;
      return event({
        event: name,
        project: p.repository.full_name,
        ref: j.head_branch ?? null,
        sha: j.head_sha,
        pipelineId: String(j.run_id),
        status: p.action,
        conclusion: j.conclusion,
        name: j.name,
      });
    }
    return { kind: 'ignored', reason: `X-GitHub-Event "${name}" is not handled (snapflow handles workflow_run, workflow_job)` };
  },
};
