import { describe, expect, it } from 'vitest';
import { createQueueSender, delaySecondsFor, MAX_DELAY_SECONDS } from '../../functions/worker-job-queue';
import { consumeJobMessage, retryDelaySeconds } from '../../functions/worker-queue-consumer';

// The arithmetic of the Worker's job queue (the consumer itself runs in workerd:
// test/workers/queue.test.ts).

describe('job queue delays', () => {
  it('round a wait down to whole seconds (the consumer sleeps the rest, under a second); due now or past goes at once; long waits are capped', () => {
    const now = 1_000_000;
    expect(delaySecondsFor(now - 5, now)).toBe(0);
    expect(delaySecondsFor(now, now)).toBe(0);
    expect(delaySecondsFor(now + 1, now)).toBe(0);
    expect(delaySecondsFor(now + 999, now)).toBe(0);
    expect(delaySecondsFor(now + 1_000, now)).toBe(1);
    expect(delaySecondsFor(now + 1_999, now)).toBe(1);
    expect(delaySecondsFor(now + 30_000, now)).toBe(30);
    expect(delaySecondsFor(now + 40 * 3600_000, now)).toBe(MAX_DELAY_SECONDS);
  });

  it('retries a failed message after 2, 4, 8 … seconds, never more than a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(retryDelaySeconds)).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('sends {jobId, at} as JSON with the delay, held open by waitUntil, and rejects when the queue does', async () => {
    const sent: unknown[] = [];
    const held: Promise<unknown>[] = [];
    let fail = false;
    const sender = createQueueSender(
      {
        async send(body, options) {
          if (fail) throw new Error('Queue send failed: Too Many Requests');
          sent.push({ body, options });
        },
      },
      (p) => void held.push(p),
      () => 10_000,
    );
    await sender.send('job-1', 12_500);
    expect(sent).toEqual([{ body: { jobId: 'job-1', at: 12_500 }, options: { contentType: 'json', delaySeconds: 2 } }]);
    expect(held).toHaveLength(1);
    fail = true;
    await expect(sender.send('job-2', 0)).rejects.toThrow(/Too Many Requests/);
    // the held copy never rejects: a failed send must not fail the event it was handed to
    await expect(held[1]).resolves.toBeUndefined();
  });

  it('a message whose job became due between the failed claim and the read claims once more instead of dropping it', async () => {
    const now = 5_000_000;
    let claims = 0;
    const sentOn: unknown[] = [];
    const deps = (dueAfterClaims: number) => ({
      engine: {
        runChain: async () =>
          ++claims > dueAfterClaims ? { jobId: 'j', kind: 'k', step: 's', type: 'step.done', state: 'queued' as const, committed: true } : null,
      },
      store: { getJob: async () => ({ state: 'waiting', runAfter: now, cancelRequested: false }) as never },
      queue: { send: async (...a: unknown[]) => void sentOn.push(a) },
      now: () => now,
      sleep: async () => {},
      log: { info() {}, warn() {}, error() {} },
    });
    expect(await consumeJobMessage(deps(1), { jobId: 'j', at: now })).toBe('ran');
    expect(claims).toBe(2);
    // still not claimable the second time (its lock or its project's slot is taken): blocked, as before
    claims = 0;
    expect(await consumeJobMessage(deps(10), { jobId: 'j', at: now })).toBe('blocked');
    expect(claims).toBe(2);
    expect(sentOn).toEqual([]);
  });
});
