// One authenticated delivery: match the hook's rules, submit the jobs they ask for, answer.
// The answer is derived from the rules and the jobs (found by idempotency key before anything
// is submitted), so a redelivery gets the same answer and starts nothing new. Hook jobs are
// never refused for a busy server: they queue behind the job holding it (a CI pipeline
// cannot retry the way a person at a terminal can).
import type { WebhookConfig } from '../../shared/config/load';
import { ruleServer } from '../../shared/config/webhook-schema';
import type { Engine } from '../../shared/engine/engine';
import { InvalidParamsError, UnknownKindError } from '../../shared/engine/errors';
import type { Job, JobStore } from '../../shared/jobs/types';
import { ApiError } from '../http/envelope';
import { jobLinks } from '../http/job-view';
import type { JobRequestBase, ResolvedLock } from '../submit-preflight';
import type { HookEvent, ParsedDelivery } from './hook-event';
import { planRuleJob } from './hook-jobs';
import { ruleId, ruleMismatch } from './match-rules';

export interface DeliveryDeps {
  engine: Pick<Engine, 'submit'>;
  store: Pick<JobStore, 'getJobByIdempotencyKey'>;
  /** The API's submission preflight: resolves the server to lock on (404: unknown server). */
  preflight?: (req: JobRequestBase) => Promise<ResolvedLock | undefined>;
}

export interface DeliveryJob {
  rule: string;
  kind: string;
  id: string;
  cloud: string;
  server: string;
  links: ReturnType<typeof jobLinks>;
}

export interface DeliveryAnswer {
  hook: string;
  delivery: string;
  /** What snapflow read from the delivery (null: an event it does not handle). */
  event: HookEvent | null;
  /** The jobs the delivery's rules started (the same on a redelivery). */
  jobs: DeliveryJob[];
  /** Rules that matched but could start nothing, and why. */
  skipped: Array<{ rule: string; reason: string }>;
  /** Why no job was started, when none was. */
  reason?: string;
}

function view(rule: string, job: Job, cloud: string, server: string): DeliveryJob {
  return { rule, kind: job.kind, id: job.id, cloud, server, links: jobLinks(job.id) };
}

/** The matched rules, or the reason none applies. */
function matchingRules(hook: WebhookConfig, ev: HookEvent): { matched: Array<{ id: string; index: number }>; reason?: string } {
  const outcomes = hook.rules.map((rule, index) => ({ id: ruleId(rule, index), index, miss: ruleMismatch(rule, ev) }));
  const matched = outcomes.filter((o) => o.miss === null);
  if (hook.rules.length === 0) return { matched, reason: `webhook "${hook.name}" has no rules` };
  if (matched.length === 0)
    return { matched, reason: `no rule of webhook "${hook.name}" matches: ${outcomes.map((o) => `rule ${o.id}: ${o.miss}`).join('; ')}` };
  if (ev.server === null) return { matched };
  // The event may narrow the rules to one server, never reach a server no rule names.
  const forServer = matched.filter((o) => ruleServer(hook.rules, hook.rules[o.index]!.job)?.server === ev.server);
  if (forServer.length === 0)
    return { matched: [], reason: `the event names server "${ev.server}", which no matching rule of webhook "${hook.name}" names: nothing started` };
  return { matched: forServer };
}

export async function receiveDelivery(deps: DeliveryDeps, hook: WebhookConfig, deliveryId: string, parsed: ParsedDelivery): Promise<DeliveryAnswer> {
  const answer: DeliveryAnswer = { hook: hook.name, delivery: deliveryId, event: null, jobs: [], skipped: [] };
  if (parsed.kind === 'ignored') return { ...answer, reason: parsed.reason };
  const ev = parsed.event;
  answer.event = ev;
  const { matched, reason } = matchingRules(hook, ev);
  if (reason !== undefined) return { ...answer, reason };

  for (const { id, index } of matched) {
    const rule = hook.rules[index]!;
    const skip = (why: string) => void answer.skipped.push({ rule: id, reason: why });
    const plan = await planRuleJob({ hook, rule, ruleId: id, ev, deliveryId, findJob: (k) => deps.store.getJobByIdempotencyKey(k) });
    if (plan.kind === 'skip') {
      skip(plan.reason);
      continue;
    }
    const earlier = await deps.store.getJobByIdempotencyKey(plan.idempotencyKey);
    if (earlier) {
      answer.jobs.push(view(id, earlier, plan.cloud, plan.server));
      continue;
    }
    let lock: ResolvedLock | undefined = plan.lock;
    if (!lock && deps.preflight) {
      try {
        lock = (await deps.preflight({ kind: plan.jobKind, cloud: plan.cloud, server: plan.server })) ?? undefined;
      } catch (err) {
        if (err instanceof ApiError && err.status < 500) {
          skip(err.message);
          continue;
        }
        throw err;
      }
    }
    try {
      const { job } = await deps.engine.submit(plan.jobKind, plan.params, {
        idempotencyKey: plan.idempotencyKey,
        requestedBy: `hook:${hook.name}`,
        ...(lock ? { lockKey: lock.lockKey, lockAlias: lock.lockAlias ?? null } : {}),
      });
      answer.jobs.push(view(id, job, plan.cloud, plan.server));
    } catch (err) {
      if (err instanceof InvalidParamsError || err instanceof UnknownKindError) skip(err.message);
      else throw err;
    }
  }
  if (answer.jobs.length === 0) answer.reason = `no job started: ${answer.skipped.map((s) => `rule ${s.rule}: ${s.reason}`).join('; ')}`;
  return answer;
}
