// CI webhooks: POST /v1/hooks/gitlab, /v1/hooks/github, /v1/hooks/generic. No bearer
// token: each delivery proves itself with the hook's secret (GitLab's token, GitHub's and
// the generic hook's HMAC signatures), checked by functions/hooks/. Bodies may be larger
// than a job request (a pipeline payload lists its jobs): app.ts gives /v1/hooks/ its own
// body limit.
import { z } from 'zod';
import type { WebhookProvider } from '../../shared/config/webhook-schema';
import { genericEventSchema } from '../hooks/provider-generic';
import { githubWorkflowJobSchema, githubWorkflowRunSchema } from '../hooks/provider-github';
import { gitlabJobSchema, gitlabPipelineSchema } from '../hooks/provider-gitlab';
import { type AnyRoute, defineRoute, errorReply } from './api-route';
import type { AppDeps } from './app-deps';
import { ApiError } from './envelope';

/** A pipeline payload lists all its jobs: far larger than any job request. */
export const MAX_HOOK_BODY_BYTES = 1024 * 1024;

const jobRef = z.object({
  rule: z.string(),
  kind: z.string(),
  id: z.string(),
  cloud: z.string(),
  server: z.string(),
  links: z.object({ self: z.string(), events: z.string(), wait: z.string() }),
});

export const deliveryReply = z.object({
  hook: z.string(),
  delivery: z.string(),
  event: z
    .object({
      provider: z.string(),
      event: z.string(),
      project: z.string(),
      ref: z.string().nullable(),
      sha: z.string().nullable(),
      pipelineId: z.string().nullable(),
      status: z.string(),
      conclusion: z.string().nullable(),
      name: z.string().nullable(),
      server: z.string().nullable(),
    })
    .nullable(),
  jobs: z.array(jobRef),
  skipped: z.array(z.object({ rule: z.string(), reason: z.string() })),
  reason: z.string().optional().describe('why no job was started, when none was'),
});

interface ProviderDoc {
  provider: WebhookProvider;
  summary: string;
  headers: z.ZodObject;
  body: z.ZodType;
}

const PROVIDERS: ProviderDoc[] = [
  {
    provider: 'gitlab',
    summary: 'GitLab webhook (Pipeline Hook, Job Hook), authenticated by X-Gitlab-Token',
    headers: z.object({
      'X-Gitlab-Token': z.string().describe("the hook's secret token"),
      'X-Gitlab-Event': z.string().describe('Pipeline Hook | Job Hook (others: 202, nothing started)'),
      'X-Gitlab-Event-UUID': z.string().describe('delivery id (or Idempotency-Key)'),
    }),
    body: z.union([gitlabPipelineSchema, gitlabJobSchema]),
  },
  {
    provider: 'github',
    summary: 'GitHub webhook (workflow_run, workflow_job), authenticated by X-Hub-Signature-256',
    headers: z.object({
      'X-Hub-Signature-256': z.string().describe('sha256=<hex HMAC-SHA256 of the body>'),
      'X-GitHub-Event': z.string().describe('workflow_run | workflow_job (ping and others: 202, nothing started)'),
      'X-GitHub-Delivery': z.string().describe('delivery id'),
    }),
    body: z.union([githubWorkflowRunSchema, githubWorkflowJobSchema]),
  },
  {
    provider: 'generic',
    summary: 'Generic CI webhook, authenticated by an HMAC over "<timestamp>.<body>" within a replay window',
    headers: z.object({
      'X-Snapflow-Signature': z.string().describe('sha256=<hex HMAC-SHA256 of "<X-Snapflow-Timestamp>.<body>">'),
      'X-Snapflow-Timestamp': z.string().describe('Unix seconds'),
      'X-Snapflow-Delivery': z.string().describe('delivery id'),
    }),
    body: genericEventSchema,
  },
];

export function hooksRoutes(deps: AppDeps): AnyRoute[] {
  return PROVIDERS.map((p) =>
    defineRoute({
      method: 'post',
      path: `/v1/hooks/${p.provider}`,
      summary: p.summary,
      scope: null,
      signed: true,
      targets: 'none',
      headers: p.headers,
      body: p.body,
      responses: {
        202: { description: 'the jobs the rules started (the same answer on a redelivery), or why none', schema: deliveryReply },
        400: { description: 'invalid delivery id or body (error.field names it)', schema: errorReply },
        401: { description: 'missing or wrong token or signature, or a timestamp outside the replay window', schema: errorReply },
        404: { description: 'no webhook of this provider is configured', schema: errorReply },
        413: { description: `body over ${MAX_HOOK_BODY_BYTES} bytes`, schema: errorReply },
        415: { description: 'body is not application/json', schema: errorReply },
      },
      async handle(c) {
        if (!deps.hooks) throw new ApiError(404, 'hook_not_configured', `no ${p.provider} webhook is configured on this deployment`);
        const body = new Uint8Array(await c.req.arrayBuffer());
        return c.json(await deps.hooks.receive(p.provider, { headers: c.req.raw.headers, body }), 202);
      },
    }),
  );
}
