// Client-side polling of an OpenStack resource until an outcome (shared/openstack/outcomes.ts)
// says it is ready or failed, with a deadline: for tests, benchmarks and scripts, which may
// sleep (workflow steps never do: they return wait() to the engine).
import { orNull } from './or-null';
import { isFailed, type Outcome } from './outcomes';

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `get` until `classify` says ready; a failed outcome or the deadline throws. */
export async function waitFor<T>(what: string, get: () => Promise<T>, classify: (value: T | null) => Outcome, opts: PollOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let interval = opts.intervalMs ?? 250;
  let last: Outcome = 'pending';
  while (Date.now() < deadline) {
    const value = await orNull(get());
    last = classify(value);
    if (last === 'ready' && value !== null) return value;
    if (isFailed(last)) throw new Error(`${what}: ${last.failed}`);
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
    interval = Math.min(interval * 1.5, 2_000);
  }
  throw new Error(`${what}: still pending after ${opts.timeoutMs ?? 120_000} ms`);
}

/** Polls until `get` answers 404. */
export async function waitGone(what: string, get: () => Promise<unknown>, opts: PollOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let interval = opts.intervalMs ?? 250;
  while (Date.now() < deadline) {
    if ((await orNull(get())) === null) return;
    await sleep(interval);
    interval = Math.min(interval * 1.5, 2_000);
  }
  throw new Error(`${what}: still present after ${opts.timeoutMs ?? 120_000} ms`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
