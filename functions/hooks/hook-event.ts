// What snapflow reads from a delivery, whatever the provider: the rules match on this, and
// templates are filled from it.
import type { WebhookConfig } from '../../shared/config/load';
import type { WebhookProvider } from '../../shared/config/webhook-schema';

export interface HookEvent {
  provider: WebhookProvider;
  /** gitlab pipeline|job, github workflow_run|workflow_job, generic: the sender's word */
  event: string;
  /** GitLab's project path, GitHub's repository full name */
  project: string;
  /** branch or tag (null when the provider gives none, e.g. a GitHub run without a branch) */
  ref: string | null;
  sha: string | null;
  /** GitLab pipeline id, GitHub run id: what a pipeline's start and end have in common */
  pipelineId: string | null;
  /** GitLab's status, GitHub's action */
  status: string;
  /** GitHub's conclusion of a completed run or job */
  conclusion: string | null;
  /** the pipeline, workflow or job name */
  name: string | null;
  /** a server the event itself names (GitLab variable SNAPFLOW_SERVER, the generic `server`) */
  server: string | null;
}

/** A delivery is either an event the rules look at, or one snapflow does not handle (and why). */
export type ParsedDelivery = { kind: 'event'; event: HookEvent } | { kind: 'ignored'; reason: string };

/** The request as received: the signature is over these exact bytes. */
export interface RawDelivery {
  headers: Headers;
  body: Uint8Array;
}

export interface ProviderAdapter {
  provider: WebhookProvider;
  /** The configured hook whose secret the request carries; throws a 401 ApiError otherwise. */
  authenticate(hooks: readonly WebhookConfig[], raw: RawDelivery, now: number): Promise<WebhookConfig>;
  /** The provider's delivery id (the same on a redelivery); throws a 400 naming the header. */
  deliveryId(headers: Headers): string;
  /** Reads the JSON body of an authenticated delivery; throws a 400 naming the field. */
  parse(headers: Headers, body: unknown): ParsedDelivery;
}
