// What job a matched rule asks for, and under which idempotency key:
//  - a snapshot made `as` a reference is keyed by the pipeline (hook, label, server, project,
//    pipeline id): one per pipeline however many deliveries say it started, and the key by
//    which the pipeline's end finds it;
//  - anything else is keyed by the delivery id and the rule: a redelivery finds its jobs.
// A rollback `to` a reference takes its image from that snapshot job (imageFromJob), which
// may still be running: the rollback queues behind it on the same server lock.
import type { WebhookConfig } from '../../shared/config/load';
import type { WebhookRule } from '../../shared/config/webhook-schema';
import type { Job } from '../../shared/jobs/types';
import type { HookEvent } from './hook-event';
import { renderTemplate, templateValues } from './render-template';

export type RulePlan =
  | {
      kind: 'submit';
      jobKind: string;
      params: Record<string, unknown>;
      idempotencyKey: string;
      cloud: string;
      server: string;
      /** the lock of the job this one must queue behind (the reference snapshot's), when known */
      lock?: { lockKey: string; lockAlias?: string };
    }
  | { kind: 'skip'; reason: string };

const enc = encodeURIComponent;

export function referenceKey(hook: string, label: string, cloud: string, server: string, ev: HookEvent): string | null {
  if (ev.pipelineId === null) return null;
  return `hook:${enc(hook)}:ref:${label}:${enc(cloud)}/${enc(server)}:${enc(ev.project)}#${enc(ev.pipelineId)}`;
}

export function deliveryKey(hook: string, deliveryId: string, rule: string): string {
  return `hook:${enc(hook)}:delivery:${deliveryId}:${enc(rule)}`;
}

export interface PlanInput {
  hook: WebhookConfig;
  rule: WebhookRule;
  ruleId: string;
  ev: HookEvent;
  deliveryId: string;
  findJob(idempotencyKey: string): Promise<Job | null>;
}

export async function planRuleJob({ hook, rule, ruleId, ev, deliveryId, findJob }: PlanInput): Promise<RulePlan> {
  const job = rule.job;
  const target = { cloud: job.cloud, server: job.server };
  if (job.kind === 'snapshot') {
    const values = templateValues(hook.name, ev);
    const params: Record<string, unknown> = {
      ...target,
      stop: job.stop,
      properties: Object.fromEntries(Object.entries(job.properties).map(([k, v]) => [k, renderTemplate(v, values)])),
      ...(job.name !== undefined ? { name: renderTemplate(job.name, values) } : {}),
      ...(job.policy !== undefined ? { policy: job.policy } : {}),
      ...(job.keep !== undefined ? { keep: job.keep } : {}),
      ...(job.maxAgeDays !== undefined ? { maxAgeDays: job.maxAgeDays } : {}),
    };
    if (job.as === undefined) return { kind: 'submit', jobKind: 'snapshot', params, idempotencyKey: deliveryKey(hook.name, deliveryId, ruleId), ...target };
    const key = referenceKey(hook.name, job.as, job.cloud, job.server, ev);
    if (key === null) return { kind: 'skip', reason: `the event carries no pipeline id to keep the "${job.as}" snapshot by` };
    return { kind: 'submit', jobKind: 'snapshot', params, idempotencyKey: key, ...target };
  }
  const idempotencyKey = deliveryKey(hook.name, deliveryId, ruleId);
  if (job.image !== undefined) {
    return { kind: 'submit', jobKind: 'rollback', params: { ...target, image: job.image, confirm: true }, idempotencyKey, ...target };
  }
  const label = job.to!;
  const key = referenceKey(hook.name, label, job.cloud, job.server, ev);
  const reference = key === null ? null : await findJob(key);
  if (!reference) {
    const pipeline = ev.pipelineId === null ? 'this event (it carries no pipeline id)' : `pipeline ${ev.pipelineId} of ${ev.project}`;
    return { kind: 'skip', reason: `no "${label}" snapshot of ${job.cloud}/${job.server} was made for ${pipeline}: nothing to roll back to` };
  }
  return {
    kind: 'submit',
    jobKind: 'rollback',
    params: { ...target, imageFromJob: reference.id, confirm: true },
    idempotencyKey,
    ...target,
    ...(reference.lockKey ? { lock: { lockKey: reference.lockKey, ...(reference.lockAlias ? { lockAlias: reference.lockAlias } : {}) } } : {}),
  };
}
