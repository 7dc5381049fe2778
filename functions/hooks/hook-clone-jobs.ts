// Clone a fresh server for a pipeline and discard it at the pipeline's end. A clone made `as`
// a label is keyed by the pipeline (hook-plan.ts), so every "started" delivery of one run
// finds the same clone. The discard rule finds that clone job by the same key and deletes the
// server it made (fromJob): it queues behind the clone on the clone's lock, and the discard
// job itself waits while the clone runs. One discard per clone job, whatever deliveries say
// the pipeline ended.
import { canTarget, describeTarget } from '../../shared/auth/principal';
import { ruleServer, type WebhookCloneJob } from '../../shared/config/webhook-schema';
import { type CloneParams, newServerTargets, targetCloud } from '../workflows/params';
import { cloneKey, deliveryKey, describePipeline, lockOf, type PlanInput, type RulePlan } from './hook-plan';
import { renderTemplate, templateValues } from './render-template';

export function planClone({ hook, ruleId, ev, deliveryId }: PlanInput, job: WebhookCloneJob): RulePlan {
  const values = templateValues(hook.name, ev);
  const params = {
    cloud: job.cloud,
    server: job.server,
    newName: renderTemplate(job.newName, values),
    ...(job.to ? { to: job.to } : {}),
    stop: job.stop,
    ...(job.flavor !== undefined ? { flavor: job.flavor } : {}),
    ...(job.keyName !== undefined ? { keyName: job.keyName } : {}),
    ...(job.network !== undefined ? { network: job.network } : {}),
    metadata: Object.fromEntries(Object.entries(job.metadata).map(([k, v]) => [k, renderTemplate(v, values)])),
    os: job.os,
    deletePaths: job.deletePaths,
    keepImages: job.keepImages,
  };
  // The new server's name is known only now: the hook's targets bound it as they bound the source.
  const outside = hook.targets.length > 0 ? newServerTargets(params).find((t) => !canTarget(hook, t)) : undefined;
  if (outside) return { kind: 'skip', reason: `the clone ${describeTarget(outside)} is outside the hook's targets` };
  const target = { cloud: job.cloud, server: job.server };
  if (job.as === undefined) return { kind: 'submit', jobKind: 'clone', params, idempotencyKey: deliveryKey(hook.name, deliveryId, ruleId), ...target };
  const key = cloneKey(hook.name, job.as, job.cloud, job.server, ev);
  if (key === null) return { kind: 'skip', reason: `the event carries no pipeline id to keep the "${job.as}" clone by` };
  return { kind: 'submit', jobKind: 'clone', params, idempotencyKey: key, ...target };
}

export async function planDiscard({ hook, rule, ev, findJob }: PlanInput, job: { clone: string }): Promise<RulePlan> {
  const source = ruleServer(hook.rules, rule.job);
  if (!source) return { kind: 'skip', reason: `no clone rule of webhook "${hook.name}" makes "${job.clone}"` };
  const key = cloneKey(hook.name, job.clone, source.cloud, source.server, ev);
  const clone = key === null ? null : await findJob(key);
  if (!clone) {
    return {
      kind: 'skip',
      reason: `no "${job.clone}" clone of ${source.cloud}/${source.server} was made for ${describePipeline(ev)}: nothing to discard`,
    };
  }
  const made = clone.params as Pick<CloneParams, 'cloud' | 'to' | 'newName'>;
  const target = { cloud: targetCloud(made), server: made.newName };
  return {
    kind: 'submit',
    jobKind: 'discard',
    params: { ...target, fromJob: clone.id, confirm: true },
    idempotencyKey: `hook:${encodeURIComponent(hook.name)}:discard:${clone.id}`,
    ...target,
    ...lockOf(clone),
  };
}
