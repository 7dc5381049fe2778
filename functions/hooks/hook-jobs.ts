// What job a matched rule asks for, and under which idempotency key (hook-plan.ts). A
// rollback `to` a reference takes its image from that snapshot job (imageFromJob), which may
// still be running: the rollback queues behind it on the same server lock. Clone and discard
// rules: hook-clone-jobs.ts.
import { planClone, planDiscard } from './hook-clone-jobs';
import { deliveryKey, describePipeline, lockOf, type PlanInput, type RulePlan, referenceKey } from './hook-plan';
import { renderTemplate, templateValues } from './render-template';

export async function planRuleJob(input: PlanInput): Promise<RulePlan> {
  const { hook, rule, ruleId, ev, deliveryId, findJob } = input;
  const job = rule.job;
  if (job.kind === 'clone') return planClone(input, job);
  if (job.kind === 'discard') return planDiscard(input, job);
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
    return { kind: 'skip', reason: `no "${label}" snapshot of ${job.cloud}/${job.server} was made for ${describePipeline(ev)}: nothing to roll back to` };
  }
  return {
    kind: 'submit',
    jobKind: 'rollback',
    params: { ...target, imageFromJob: reference.id, confirm: true },
    idempotencyKey,
    ...target,
    ...lockOf(reference),
  };
}
