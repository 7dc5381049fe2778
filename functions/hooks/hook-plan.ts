// What a matched rule asks for (a job to submit, or why none), and the idempotency keys hook
// jobs are submitted under:
//  - what a rule makes `as` a label (a reference snapshot, a clone for the run) is keyed by the
//    pipeline (hook, label, server, project, pipeline id): one per pipeline however many
//    deliveries say it started, and the key by which the pipeline's end finds it;
//  - anything else is keyed by the delivery id and the rule: a redelivery finds its jobs.
import type { WebhookConfig } from '../../shared/config/load';
import type { WebhookRule } from '../../shared/config/webhook-schema';
import type { Job } from '../../shared/jobs/types';
import type { HookEvent } from './hook-event';

export type RulePlan =
  | {
      kind: 'submit';
      jobKind: string;
      params: Record<string, unknown>;
      idempotencyKey: string;
      cloud: string;
      server: string;
      /** the lock of the job this one must queue behind (the reference snapshot's, the clone's), when known */
      lock?: { lockKey: string; lockAlias?: string };
    }
  | { kind: 'skip'; reason: string };

export interface PlanInput {
  hook: WebhookConfig;
  rule: WebhookRule;
  ruleId: string;
  ev: HookEvent;
  deliveryId: string;
  findJob(idempotencyKey: string): Promise<Job | null>;
}

const enc = encodeURIComponent;

/** A snapshot made `as` a label. (The clone's key differs: a snapshot and a clone may share a label and a server.) */
export function referenceKey(hook: string, label: string, cloud: string, server: string, ev: HookEvent): string | null {
  if (ev.pipelineId === null) return null;
  return `hook:${enc(hook)}:ref:${label}:${enc(cloud)}/${enc(server)}:${enc(ev.project)}#${enc(ev.pipelineId)}`;
}

/** A clone made `as` a label, of the source server `cloud/server`. */
export function cloneKey(hook: string, label: string, cloud: string, server: string, ev: HookEvent): string | null {
  if (ev.pipelineId === null) return null;
  return `hook:${enc(hook)}:clone:${label}:${enc(cloud)}/${enc(server)}:${enc(ev.project)}#${enc(ev.pipelineId)}`;
}

export function deliveryKey(hook: string, deliveryId: string, rule: string): string {
  return `hook:${enc(hook)}:delivery:${deliveryId}:${enc(rule)}`;
}

/** "pipeline 101 of group/app", for the reasons a rule of a pipeline's end starts nothing. */
export function describePipeline(ev: HookEvent): string {
  return ev.pipelineId === null ? 'this event (it carries no pipeline id)' : `pipeline ${ev.pipelineId} of ${ev.project}`;
}

/** The lock of the job a new one must queue behind. */
export function lockOf(job: Job): Pick<Extract<RulePlan, { kind: 'submit' }>, 'lock'> {
  return job.lockKey ? { lock: { lockKey: job.lockKey, ...(job.lockAlias ? { lockAlias: job.lockAlias } : {}) } } : {};
}
