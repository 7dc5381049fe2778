import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTools, fakeTools } from '../../bench/lib/runner-doubles/fake-tools';
import { fakeQcow2, type Harness, runnerHarness, type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type ServiceDouble, startServiceDouble } from '../../bench/lib/runner-doubles/service-double';
import { runTask } from '../../runner/run-task';
import { targetProperties } from '../../runner/upload';
import type { Task } from '../../shared/runner/protocol';

// A retried task never uploads twice: a new attempt of a task whose earlier attempt uploaded
// and verified its image (and then lost its `complete`) reports that image without
// downloading anything; images an attempt left half-made are deleted before the new upload.

let env: SimEnv;
let service: ServiceDouble;
let tools: FakeTools;
let h: Harness;
const never = new AbortController().signal;

beforeAll(async () => {
  env = await startSimEnv();
  service = await startServiceDouble();
  tools = fakeTools();
});
afterAll(async () => {
  await service.close();
  await env.close();
  tools.remove();
});
beforeEach(async () => {
  h = await runnerHarness(env, service, { tools: tools.tools });
});
afterEach(async () => {
  await h.close();
});

/** The same task handed out again (the service's retry after a lost lease), with a new lease. */
async function claimAgain(task: Task, attempt: number): Promise<Task> {
  const again: Task = { ...task, attempt, lease: { ...task.lease, token: `${task.lease.token}-${attempt}` } };
  service.enqueue(again);
  expect((await h.deps.service.claim({ runner: 'test', waitSeconds: 0 }))?.id).toBe(task.id);
  return again;
}

const imagesOf = (task: Task) => env.target.image.listAll({ filters: { snapflow_task: task.id } });
const fileGets = () => env.sim.counters.get('GET /v2/images/{id}/file');
const filePuts = () => env.sim.counters.get('PUT /v2/images/{id}/file');

describe('upload idempotency', () => {
  it('reports the verified image of an earlier attempt whose complete was lost, without downloading or uploading', async () => {
    const first = taskFor(await uploadImage(env.source, fakeQcow2(200_000)));
    const a1 = await claimAgain(first, 1);
    // the service gives the task to someone else while attempt 1 finishes: its complete is refused
    service.takeOverAt(first.id, 'complete');
    expect(await runTask(a1, h.deps, never)).toEqual({ outcome: 'lease_lost' });
    const [uploaded] = await imagesOf(first);
    expect(uploaded?.status).toBe('active');

    // attempt 2 gets a fresh lease on the same task
    const again = await claimAgain(first, 2);
    const gets = fileGets();
    const puts = filePuts();
    expect(await runTask(again, h.deps, never)).toEqual({ outcome: 'completed', imageId: uploaded!.id, reused: true });
    const complete = service.calls.find((c) => c.taskId === first.id && c.route === 'complete' && c.status === 200)!.body as {
      imageId: string;
      verified: { target: Record<string, string> };
      warnings: string[];
    };
    expect(complete.imageId).toBe(uploaded!.id);
    expect(complete.verified.target).toEqual({ sha512: uploaded!.os_hash_value });
    expect(complete.warnings).toEqual([`reused image ${uploaded!.id}, uploaded and verified by an earlier attempt`]);
    expect(fileGets()).toBe(gets);
    expect(filePuts()).toBe(puts);
    expect((await imagesOf(first)).map((i) => i.id)).toEqual([uploaded!.id]);
  });

  it('deletes what an attempt left half-made (queued, or active but never verified) and uploads once', async () => {
    const task = taskFor(await uploadImage(env.source, fakeQcow2(150_000)));
    // a crash between create and upload leaves a queued image; one between upload and the
    // verified mark leaves an active image nobody checked
    const queued = await env.target.image.create({ name: 'cleaned', disk_format: 'qcow2', container_format: 'bare', properties: targetProperties(task) });
    const unchecked = await env.target.image.create({ name: 'cleaned', disk_format: 'qcow2', container_format: 'bare', properties: targetProperties(task) });
    await env.target.image.upload(unchecked.id, { bytes: fakeQcow2(1000) });
    const again = await claimAgain(task, 3);
    const end = await runTask(again, h.deps, never);
    expect(end).toMatchObject({ outcome: 'completed', reused: false });
    const left = await imagesOf(task);
    expect(left.map((i) => i.id)).toEqual([(end as { imageId: string }).imageId]);
    expect(left[0]!.id).not.toBe(queued.id);
    expect(left[0]!.id).not.toBe(unchecked.id);
  });
});
