// The clean-image step on the real engine, SQLite and the simulator, with no runner: what it
// queues (the source image as Glance records it), that a step run again finds its task,
// and how it ends without a runner's report (an image not ready or gone, a spec the runner
// could not read, a task past its deadline, a lost lease it keeps waiting through).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN_KIND, type CleanParams, cleanWorkflow } from '../../bench/lib/clean-workflow';
import type { RunnerStepDeps } from '../../functions/workflows/runner-step-deps';
import type { Engine } from '../../shared/engine/engine';
import { type Harness, setup, until } from './harness';

let h: Harness;
let engine: Engine;
let queued = 0;

const image = async (bytes?: Buffer) => {
  const os = h.deps.openstack('sim');
  const img = await os.image.create({ name: 'src', disk_format: 'qcow2', container_format: 'bare' });
  if (bytes) await os.image.upload(img.id, { bytes });
  return os.image.get(img.id);
};
const submit = async (imageId: string, over: Partial<CleanParams> = {}) =>
  (await engine.submit(CLEAN_KIND, { cloud: 'sim', server: 'web', imageId, targetCloud: 'sim-dest', targetName: 'web-clean', ...over })).job.id;
const taskOf = (jobId: string, imageId: string) => h.store.findRunnerTask(jobId, 'clean-image', `sim/${imageId}`);

beforeAll(async () => {
  h = await setup();
  const runner: RunnerStepDeps = { tasks: h.store, queued: () => void queued++, maxAttempts: 3 };
  // the same workflow under another kind, with a task deadline no runner meets
  const deadline = { ...cleanWorkflow(h.deps, runner, { taskDeadlineMs: 300 }), kind: `${CLEAN_KIND}-deadline` };
  engine = h.newEngine({ workflows: [cleanWorkflow(h.deps, runner), deadline] });
});
afterAll(() => h?.close());

describe('clean-image step', () => {
  it("queues one task with the source image's size and digests, wakes the claims, and finds the same task on every later run", async () => {
    const src = await image(Buffer.from('a qcow2 stand-in, sixty-four bytes of it, give or take a few'));
    const before = queued;
    const jobId = await submit(src.id, { mode: 'hostname', hostname: 'web2', deletePaths: ['/etc/krb5.keytab'], properties: { team: 'ops' } });
    const task = await until(() => taskOf(jobId, src.id));
    expect(task).toMatchObject({
      state: 'queued',
      step: 'clean-image',
      maxAttempts: 3,
      source: {
        cloud: 'sim',
        imageId: src.id,
        size: src.size,
        diskFormat: 'qcow2',
        hashAlgo: 'sha512',
        hashValue: src.os_hash_value,
        checksum: src.checksum,
        serverId: null,
      },
      clean: { mode: 'hostname', hostname: 'web2', deletePaths: ['/etc/krb5.keytab'], slc6: false, os: 'LINUX' },
      target: { cloud: 'sim-dest', name: 'web-clean', diskFormat: 'qcow2', containerFormat: 'bare', visibility: 'private', properties: { team: 'ops' } },
      scopes: [
        { cloud: 'sim', server: 'web' },
        { cloud: 'sim-dest', server: 'web-clean' },
      ],
    });
    expect(queued).toBe(before + 1);
    // the step keeps polling (waits of a few ms here): each run finds this task, none queues another
    await until(async () => (await h.events(jobId)).filter((e) => e.type === 'step.wait').length >= 4);
    expect((await h.store.listClaimableRunnerTasks(Date.now(), 100)).filter((t) => t.id === task.id)).toHaveLength(1);
    expect(await taskOf(jobId, src.id)).toMatchObject({ id: task.id });
    expect(queued).toBe(before + 1);
    const waits = (await h.events(jobId)).filter((e) => e.type === 'step.wait').map((e) => e.message);
    expect(waits.at(-1)).toBe(`runner task ${task.id} queued`);
    expect((await h.store.getJob(jobId))?.progress).toEqual({ phase: 'queued' });

    // a runner took it and vanished: the step keeps waiting, and says so
    await h.store.claimRunnerTask({ runner: 'gone-runner', leaseMs: 1, leaseTokenHash: 'h', now: Date.now(), ids: [task.id] });
    await until(async () => (await h.events(jobId)).some((e) => e.type === 'step.wait' && /the lease of gone-runner expired/.test(e.message ?? '')));
    expect((await h.store.getJob(jobId))?.state).toMatch(/waiting|running/);
    await engine.cancel(jobId);
    expect((await h.finish(jobId)).state).toBe('cancelled');
    expect(await taskOf(jobId, src.id)).toMatchObject({ state: 'cancelled' });
  });

  it('waits while the source image is not active yet, and fails source_not_found once it is gone', async () => {
    const src = await image();
    expect(src.status).toBe('queued');
    const jobId = await submit(src.id);
    await until(async () => (await h.events(jobId)).some((e) => e.type === 'step.wait' && e.message === `source image ${src.id} queued`));
    await h.deps.openstack('sim').image.delete(src.id);
    const job = await h.finish(jobId);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'source_not_found', step: 'clean-image' } });
    expect(await taskOf(jobId, src.id)).toBeNull();
  });

  it('fails invalid_task, queueing nothing, when the spec is one the runner could not read', async () => {
    const src = await image(Buffer.from('bytes'));
    const jobId = await submit(src.id, { mode: 'hostname', hostname: null });
    const job = await h.finish(jobId);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'invalid_task' } });
    expect(job.error?.message).toContain('clean: hostname: hostname is required in hostname mode');
    expect(await taskOf(jobId, src.id)).toBeNull();
  });

  it('gives up on a task no runner finished by its deadline: the task is cancelled, the job fails runner_timeout', async () => {
    const src = await image(Buffer.from('bytes'));
    const jobId = (await engine.submit(`${CLEAN_KIND}-deadline`, { cloud: 'sim', server: 'web', imageId: src.id, targetCloud: 'sim-dest', targetName: 'x' }))
      .job.id;
    const job = await h.finish(jobId);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'runner_timeout' } });
    expect(await taskOf(jobId, src.id)).toMatchObject({ state: 'cancelled' });
  });
});
