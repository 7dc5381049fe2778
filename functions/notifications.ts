// Job notifications: when a job ends, POST a JSON summary to every configured notification
// whose `on` matches, plus the `notify.to` targets of the schedule that made the job.
// Runtime-agnostic (global fetch, no Node built-ins). Delivery is best effort: bounded
// retries, a timeout per attempt, and nothing ever thrown back into the engine. URLs may
// embed a secret token (chat webhooks), so logs name the notification, never its URL.
import type { NotificationConfig } from '../shared/config/load';
import type { StepLogger } from '../shared/engine/define';
import type { EngineEvent } from '../shared/engine/engine-event';
import type { Job, JobState } from '../shared/jobs/types';
import type { Schedule } from '../shared/schedule/schema';
import { type JobView, toJobView } from './http/job-view';

export type NotificationEventName = 'job.succeeded' | 'job.failed' | 'job.cancelled';

export interface NotificationBody {
  event: NotificationEventName;
  job: Pick<JobView, 'id' | 'kind' | 'state' | 'params' | 'result' | 'error' | 'requestedBy' | 'links'>;
}

export interface JobNotificationsDeps {
  notifications: readonly NotificationConfig[];
  schedules: readonly Schedule[];
  getJob(id: string): Promise<Job | null>;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  log: StepLogger;
  /** Per attempt (default 5 000 ms). */
  timeoutMs?: number;
  /** Attempts after the first one (default 3). */
  retries?: number;
  /** First backoff; doubles each retry (default 1 000 ms). */
  backoffMs?: number;
  /** Workers: keeps the isolate alive until delivery ends (ctx.waitUntil). */
  waitUntil?: (p: Promise<unknown>) => void;
}

export interface JobNotifications {
  /** Engine hook: reacts only to commits that end a job. Never throws. */
  onEvent(e: EngineEvent): void;
  /** Resolves when every delivery started so far has finished (bounded by timeoutMs). */
  settle(timeoutMs?: number): Promise<void>;
}

const EVENT_BY_STATE: Partial<Record<JobState, NotificationEventName>> = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
};

/** `on` speaks of outcomes: a cancelled job did not succeed, so it counts as a failure. */
const outcomeOf = (state: JobState): 'success' | 'failure' => (state === 'succeeded' ? 'success' : 'failure');

/** Jobs fired by a schedule carry `schedule:<name>` (optionally followed by " (missed slot)"). */
export function scheduleNameOf(requestedBy: string | null): string | null {
  const m = /^schedule:([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s|$)/.exec(requestedBy ?? '');
  return m ? m[1]! : null;
}

/** Which notifications a finished job goes to (each name once). */
export function notificationTargets(
  job: Pick<Job, 'state' | 'requestedBy'>,
  notifications: readonly NotificationConfig[],
  schedules: readonly Schedule[],
): { targets: NotificationConfig[]; unknown: string[] } {
  const outcome = outcomeOf(job.state);
  const names = new Set(notifications.filter((n) => n.on.includes(outcome)).map((n) => n.name));
  const unknown: string[] = [];
  const scheduleName = scheduleNameOf(job.requestedBy);
  const notify = scheduleName ? schedules.find((s) => s.name === scheduleName)?.notify : undefined;
  if (notify?.on.includes(outcome)) {
    for (const name of notify.to) {
      if (notifications.some((n) => n.name === name)) names.add(name);
      else unknown.push(name);
    }
  }
  return { targets: notifications.filter((n) => names.has(n.name)), unknown };
}

export function notificationBody(job: Job): NotificationBody | null {
  const event = EVENT_BY_STATE[job.state];
  if (!event) return null;
  const v = toJobView(job);
  return {
    event,
    job: { id: v.id, kind: v.kind, state: v.state, params: v.params, result: v.result, error: v.error, requestedBy: v.requestedBy, links: v.links },
  };
}

/** A short reason with no URL in it (fetch errors can quote the address). */
function describeFailure(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: unknown } };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'timeout';
  const code = typeof e?.cause?.code === 'string' ? ` (${e.cause.code})` : '';
  return `network error${code}`;
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const RECENT_LIMIT = 1000;

export function createJobNotifications(deps: JobNotificationsDeps): JobNotifications {
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const retries = deps.retries ?? 3;
  const backoffMs = deps.backoffMs ?? 1_000;
  const inflight = new Set<Promise<void>>();
  // A job ends once, but a late cancel request may emit again for it: notify once.
  const recent = new Set<string>();

  async function post(target: NotificationConfig, body: NotificationBody): Promise<void> {
    const payload = JSON.stringify(body);
    const meta = { notification: target.name, event: body.event, jobId: body.job.id };
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeoutMs);
      let problem: string;
      let again: boolean;
      try {
        const res = await deps.fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'snapflow' },
          body: payload,
          signal: ctl.signal,
        });
        await res.body?.cancel().catch(() => {});
        if (res.ok) {
          deps.log.info('notification delivered', { ...meta, status: res.status, attempt });
          return;
        }
        problem = `HTTP ${res.status}`;
        again = retryable(res.status);
      } catch (err) {
        problem = describeFailure(err);
        again = true;
      } finally {
        clearTimeout(timer);
      }
      if (!again || attempt > retries) {
        deps.log.error('notification failed', { ...meta, attempt, problem });
        return;
      }
      deps.log.warn('notification attempt failed; retrying', { ...meta, attempt, problem });
      await sleep(backoffMs * 2 ** (attempt - 1));
    }
  }

  async function deliver(jobId: string): Promise<void> {
    const job = await deps.getJob(jobId);
    const body = job ? notificationBody(job) : null;
    if (!job || !body) return;
    const { targets, unknown } = notificationTargets(job, deps.notifications, deps.schedules);
    if (unknown.length > 0) deps.log.warn('schedule notifies unknown notification names', { jobId, names: unknown });
    await Promise.all(targets.map((t) => post(t, body)));
  }

  function track(p: Promise<void>): void {
    const guarded = p.catch((err) => deps.log.error('notification delivery crashed', { error: String((err as Error)?.message ?? err) }));
    inflight.add(guarded);
    void guarded.finally(() => inflight.delete(guarded));
    deps.waitUntil?.(guarded);
  }

  return {
    onEvent(e) {
      try {
        if (!EVENT_BY_STATE[e.patch.state] || recent.has(e.jobId)) return;
        if (deps.notifications.length === 0) return;
        recent.add(e.jobId);
        if (recent.size > RECENT_LIMIT) recent.delete(recent.values().next().value!);
        track(deliver(e.jobId));
      } catch (err) {
        deps.log.error('notification hook failed', { error: String((err as Error)?.message ?? err) });
      }
    },

    async settle(ms = 30_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, ms)));
      try {
        while (inflight.size > 0) {
          const done = Promise.all([...inflight]).then(() => 'done' as const);
          if ((await Promise.race([done, deadline.then(() => 'late' as const)])) === 'late') return;
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
