import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../../shared/openstack/errors';
import { orNull } from '../../shared/openstack/or-null';
import { isFailed, type Outcome } from '../../shared/openstack/outcomes';

export function contractName(suffix = ''): string {
  return `snapflow-contract-${randomBytes(4).toString('hex')}${suffix}`;
}

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `get` until `classify` says ready; a failed outcome or the deadline throws. */
export async function waitFor<T>(
  what: string,
  get: () => Promise<T>,
  classify: (value: T | null) => Outcome,
  opts: PollOptions = {},
): Promise<T> {
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

/** LIFO cleanup that runs every step even when some fail; 404 counts as already clean. */
export class Cleanup {
  private readonly steps: Array<{ label: string; run: () => Promise<unknown> }> = [];

  add(label: string, run: () => Promise<unknown>): void {
    this.steps.push({ label, run });
  }

  async run(): Promise<void> {
    const failures: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        if (!(err instanceof NotFoundError)) failures.push(`${step.label}: ${String(err)}`);
      }
    }
    this.steps.length = 0;
    if (failures.length) throw new Error(`cleanup failed:\n${failures.join('\n')}`);
  }
}
