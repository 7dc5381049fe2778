import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTools, fakeTools } from '../../bench/lib/runner-doubles/fake-tools';
import { fakeQcow2, type Harness, runnerHarness, type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type ServiceDouble, startServiceDouble } from '../../bench/lib/runner-doubles/service-double';
import { PollLoop } from '../../runner/poll-loop';
import type { TaskOutcome } from '../../runner/run-task';

// The poll loop in process against the service double: long-polled claims, a task it cannot
// read failed back as invalid_task (never run), a service that refuses the token retried
// with a pause, and stop() ending an idle long poll instead of waiting for its answer.

let env: SimEnv;
let service: ServiceDouble;
let tools: FakeTools;
let h: Harness;

beforeAll(async () => {
  env = await startSimEnv();
  service = await startServiceDouble();
  tools = fakeTools();
  h = await runnerHarness(env, service, { tools: tools.tools, claimWaitSeconds: 30 });
});
afterAll(async () => {
  await h.close();
  await service.close();
  await env.close();
  tools.remove();
});

describe('poll loop', () => {
  it('fails back a task it cannot read, runs the next one, and ends an idle long poll on stop', async () => {
    const ends: TaskOutcome[] = [];
    const loop = new PollLoop(h.config, h.deps, (o) => ends.push(o));
    loop.start();
    service.enqueueRaw({ id: 'task-bad', jobId: 'job-1', attempt: 1, lease: { token: 'lease-bad' }, source: { cloud: 'sim' } });
    const fail = await service.waitFor((c) => c.taskId === 'task-bad' && c.route === 'fail');
    expect(fail.body).toMatchObject({
      code: 'invalid_task',
      retryable: false,
      message: expect.stringContaining('the claimed task does not match the protocol (lease.expiresAt:'),
    });
    const good = taskFor(await uploadImage(env.source, fakeQcow2(50_000)));
    service.enqueue(good);
    await service.waitFor((c) => c.taskId === good.id && c.route === 'complete');
    for (let i = 0; i < 100 && ends.length === 0; i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(ends).toEqual([expect.objectContaining({ outcome: 'completed' })]);
    // the worker is back in a 30 s long poll: stop() ends it instead of waiting for the answer
    await new Promise((ok) => setTimeout(ok, 300));
    const emptyClaims = () => service.calls.filter((c) => c.route === 'claim' && c.status === 204).length;
    const before = emptyClaims();
    await loop.stop();
    expect(emptyClaims()).toBe(before);
  });

  it('keeps asking, with a pause, when the service refuses its token', async () => {
    const wrong = await runnerHarness(env, { ...service, token: 'not-the-token' }, { tools: tools.tools, claimWaitSeconds: 0 });
    const loop = new PollLoop(wrong.config, wrong.deps);
    loop.start();
    const warnings = () => wrong.logs.map((l) => JSON.parse(l) as { msg: string; error?: string; retryInMs?: number }).filter((l) => l.msg === 'claim failed');
    for (let i = 0; i < 200 && warnings().length < 2; i++) await new Promise((ok) => setTimeout(ok, 50));
    await loop.stop();
    await wrong.close();
    // a growing pause between attempts, not a busy loop
    expect(
      warnings()
        .map((w) => w.retryInMs)
        .slice(0, 2),
    ).toEqual([1000, 2000]);
    expect(warnings()[0]!.error).toBe('claim: the service answered 401: bad token');
  });
});
