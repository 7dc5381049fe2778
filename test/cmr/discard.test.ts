// discard on the simulator, behind the real service and a real runner process (clones are
// made the way users make them): it deletes only what a clone made (the server and the
// images the clone kept), refuses anything else naming why, waits for a clone still running,
// treats what is already gone as done, and does not repeat a delete an earlier attempt made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CmrEnv, startCmrEnv, until } from './support';

let t: CmrEnv;

beforeAll(async () => {
  t = await startCmrEnv();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const DELETE_SERVER = 'DELETE /v2.1/servers/{id}';
const serverDeletes = () => t.env.sim.counters.get(DELETE_SERVER);
const has = (project: 'admin' | 'dest', name: string) => t.servers(project).some((s) => s.name === name);

/** A clone of a new source `name` into `name-copy` (project dest), ended. */
async function cloned(name: string, over: Record<string, unknown> = {}) {
  t.addSource(name);
  const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: name, newName: `${name}-copy`, to: { cloud: 'sim-dest' }, ...over });
  return { id, job: await t.svc.wait(id, 60_000) };
}

async function discard(body: Record<string, unknown>) {
  const id = await t.svc.submit({ kind: 'discard', cloud: 'sim-dest', confirm: true, ...body });
  return t.svc.wait(id, 60_000);
}

describe('discard', () => {
  it('deletes the server a clone made and the images it kept; the source stays; a second discard finds nothing left', async () => {
    t.tools.set({ sysprepMs: 20 });
    const clone = await cloned('d1', { keepImages: true });
    expect(clone.job.state, JSON.stringify(clone.job.error)).toBe('succeeded');
    const copy = t.servers('dest').find((s) => s.name === 'd1-copy')!;
    const kept = t.jobImages(clone.id).map((i) => i.id);
    expect(kept).toHaveLength(2);

    const job = await discard({ server: 'd1-copy' });
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result).toEqual({
      cloneJobId: clone.id,
      cloneState: 'succeeded',
      server: { id: copy.id, name: 'd1-copy', cloud: 'sim-dest' },
      deleted: true,
      imagesDeleted: expect.arrayContaining(kept),
      goneAt: expect.any(Number),
    });
    expect(has('dest', 'd1-copy')).toBe(false);
    expect(t.jobImages(clone.id)).toEqual([]);
    expect(t.servers('admin').find((s) => s.name === 'd1')?.vmState).toBe('active');

    // by name it is a 404 now; by the clone job it is a success that says why nothing went
    const byName = await t.svc.request('POST', '/v1/jobs', { kind: 'discard', cloud: 'sim-dest', server: 'd1-copy', confirm: true });
    expect(byName.status).toBe(404);
    const again = await discard({ server: 'd1-copy', fromJob: clone.id });
    expect(again).toMatchObject({ state: 'succeeded', result: { deleted: false, server: null, imagesDeleted: [] } });
    expect(again.result?.reason).toBe(`the server clone job ${clone.id} made is already gone: nothing to delete`);
  });

  it('fromJob: waits while the clone runs, then deletes the server it made', async () => {
    t.tools.set({ sysprepMs: 1_500 });
    t.addSource('d2');
    const cloneId = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'd2', newName: 'd2-copy', to: { cloud: 'sim-dest' } });
    // the server does not exist yet: the submission is not refused for it
    const id = await t.svc.submit({ kind: 'discard', cloud: 'sim-dest', server: 'd2-copy', fromJob: cloneId, confirm: true });
    const waiting = await until('the discard to wait for the clone', async () => {
      const job = await t.svc.store.getJob(id);
      return job?.state === 'waiting' && job.step === 'resolve-discard' ? job : null;
    });
    expect((await t.svc.store.getJob(cloneId))?.state).not.toBe('succeeded');
    expect(waiting.step).toBe('resolve-discard');
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect((await t.svc.wait(cloneId)).state).toBe('succeeded');
    expect(job.result).toMatchObject({ cloneJobId: cloneId, deleted: true, server: { name: 'd2-copy' } });
    expect(has('dest', 'd2-copy')).toBe(false);
    const waits = (await t.svc.events(id)).filter((e) => e.type === 'step.wait' && e.message?.includes(`clone job ${cloneId}`));
    expect(waits.length).toBeGreaterThan(0);
  });

  it('a clone that failed and left nothing: its discard succeeds and says so', async () => {
    t.tools.set({ sysprepMs: 20, sysprepRc: 1, sysprepStderr: 'virt-sysprep: error: nothing to do' });
    const clone = await cloned('d3');
    expect(clone.job.state).toBe('failed');
    const job = await discard({ server: 'd3-copy', fromJob: clone.id });
    expect(job).toMatchObject({ state: 'succeeded', result: { cloneState: 'failed', deleted: false, server: null } });
    expect(job.result?.reason).toBe(`clone job ${clone.id} failed and left no server: nothing to delete`);
  });

  it('refuses what snapflow did not make: a 422 at submission, a permanent failure naming why in the job; nothing is deleted', async () => {
    t.tools.set({ sysprepMs: 20 });
    const pet = t.env.sim.state.addServer({ name: 'pet', project: 'dest' });
    const untagged = await t.svc.request<{ error: { code: string; field: string; message: string } }>('POST', '/v1/jobs', {
      kind: 'discard',
      cloud: 'sim-dest',
      server: 'pet',
      confirm: true,
    });
    expect(untagged.status).toBe(422);
    expect(untagged.body.error).toMatchObject({ code: 'not_made_by_snapflow', field: 'server' });
    expect(untagged.body.error.message).toContain(`${pet.id} (pet) was not made by snapflow`);

    // a copied tag: the job table says which server the clone made
    const clone = await cloned('d4');
    t.env.sim.state.addServer({ name: 'pet-2', project: 'dest', metadata: { snapflow_job: clone.id } });
    const forged = await discard({ server: 'pet-2' });
    expect(forged).toMatchObject({ state: 'failed', error: { code: 'not_made_by_snapflow', step: 'resolve-discard' } });
    expect(forged.error?.message).toMatch(new RegExp(`carries snapflow_job=${clone.id}, but clone job ${clone.id} made server "d4-copy"`));

    // a job that is not a clone, and a server that is not the clone's
    const snapshot = await t.svc.submit({ kind: 'snapshot', cloud: 'sim-dest', server: 'pet' });
    await t.svc.wait(snapshot, 30_000);
    const notClone = await discard({ server: 'pet', fromJob: snapshot });
    expect(notClone).toMatchObject({ state: 'failed', error: { code: 'not_a_clone' } });
    expect(notClone.error?.message).toContain(`job ${snapshot} is a snapshot job; discard deletes only servers a clone made`);
    const other = await discard({ server: 'pet', fromJob: clone.id });
    expect(other).toMatchObject({ state: 'failed', error: { code: 'discard_server_mismatch' } });
    const elsewhere = await discard({ cloud: 'sim', server: 'd4-copy', fromJob: clone.id });
    expect(elsewhere).toMatchObject({ state: 'failed', error: { code: 'discard_cloud' } });

    expect(has('dest', 'pet') && has('dest', 'pet-2') && has('dest', 'd4-copy')).toBe(true);
    const noConfirm = await t.svc.request<{ error: { field: string } }>('POST', '/v1/jobs', { kind: 'discard', cloud: 'sim-dest', server: 'd4-copy' });
    expect(noConfirm.status).toBe(400);
    expect(noConfirm.body.error.field).toBe('confirm');
  });

  it('a delete an earlier attempt made is not sent again; failing calls are retried; a dry run deletes nothing', async () => {
    t.tools.set({ sysprepMs: 20 });
    const clone = await cloned('d5', { keepImages: true });
    const copy = t.servers('dest').find((s) => s.name === 'd5-copy')!;
    const kept = t.jobImages(clone.id).map((i) => i.id);

    const dry = await discard({ server: 'd5-copy', fromJob: clone.id, dryRun: true });
    expect(dry).toMatchObject({ state: 'succeeded', result: { dryRun: true, server: { id: copy.id }, wouldDelete: { server: true } } });
    expect(dry.result?.wouldDelete).toEqual({ server: true, images: expect.arrayContaining(kept) });
    expect(has('dest', 'd5-copy')).toBe(true);

    // an earlier attempt's DELETE, whose answer never came back: the server is still deleting
    const latency = t.env.sim.state.latency;
    const deleteMs = latency.delete;
    latency.delete = 1_500;
    try {
      await t.env.target.compute.deleteServer(copy.id);
      const before = serverDeletes();
      t.env.sim.faults.add({ route: 'DELETE /v2/images/{id}', times: 1, status: 503 });
      t.env.sim.faults.add({ route: 'GET /v2.1/servers/{id}', times: 1, status: 503 });
      const job = await discard({ server: 'd5-copy', fromJob: clone.id });
      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.result).toMatchObject({ deleted: true, imagesDeleted: expect.arrayContaining(kept) });
      expect(serverDeletes()).toBe(before);
      expect(has('dest', 'd5-copy')).toBe(false);
      expect(t.jobImages(clone.id)).toEqual([]);
      expect((await t.svc.events(job.id)).some((e) => e.type === 'step.retry')).toBe(true);
    } finally {
      latency.delete = deleteMs;
      t.env.sim.faults.clear();
    }
  });
});
