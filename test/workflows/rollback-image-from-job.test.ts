// A rollback that takes its image from a snapshot job (`imageFromJob`, what a CI pipeline's
// end asks for): it waits in resolve-image while that job runs, then rebuilds from exactly
// the image it made; a snapshot job that failed, was cancelled, or is not a snapshot of this
// cloud fails the rollback saying so, never falling back to another image.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidParamsError } from '../../shared/engine/errors';
import { type Harness, REBUILD, setup, until } from './harness';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('rollback with imageFromJob (engine + SQLite + simulator)', () => {
  it('waits while the snapshot job runs, then rebuilds from the image it made (not the latest)', async () => {
    h = await setup({ sim: { latency: { snapshot: 1_500 } } });
    const server = h.sim.state.addServer({ name: 'web' });
    const { job: snap } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    // Locked on the server's id, the snapshot on its name: the two run side by side, so the
    // rollback's own wait (not the lock queue) is what holds it back.
    const { job: rb } = await h.engine.submit('rollback', { cloud: 'sim', server: server.id, imageFromJob: snap.id, confirm: true });
    await until(async () => (await h.events(rb.id)).some((e) => e.type === 'step.wait' && e.step === 'resolve-image'), 10_000);
    const waited = (await h.events(rb.id)).find((e) => e.type === 'step.wait' && e.step === 'resolve-image')!;
    expect(waited.message).toContain(`snapshot job ${snap.id}`);
    expect(h.sim.counters.get(REBUILD) ?? 0).toBe(0);

    const snapEnd = await h.finish(snap.id);
    expect(snapEnd.state).toBe('succeeded');
    // A later snapshot of the same server must not be taken instead.
    const later = h.sim.state.addImage(
      { name: 'web-later', createdAt: Date.now() + 60_000, props: { snapflow_job: 'other', snapflow_policy: 'manual', snapflow_server: server.id } },
      Buffer.from('later'),
    );
    const end = await h.finish(rb.id, 30_000);
    expect(end.state).toBe('succeeded');
    expect(end.result?.imageId).toBe(snapEnd.result?.imageId);
    expect(end.result?.imageId).not.toBe(later.id);
    expect(server.imageId).toBe(snapEnd.result?.imageId);
  });

  it('fails naming the snapshot job when that job failed, and rebuilds nothing', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'web' });
    const { job: snap } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'ghost' });
    expect((await h.finish(snap.id)).state).toBe('failed');
    const { job: rb } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', imageFromJob: snap.id, confirm: true });
    const end = await h.finish(rb.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'image_job_failed', step: 'resolve-image' });
    expect(end.error?.message).toContain(`job ${snap.id}, failed`);
    expect(h.sim.counters.get(REBUILD) ?? 0).toBe(0);
  });

  it('fails when the snapshot job was cancelled while the rollback waited for it', async () => {
    h = await setup({ sim: { latency: { snapshot: 5_000 } } });
    const server = h.sim.state.addServer({ name: 'web' });
    const { job: snap } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    const { job: rb } = await h.engine.submit('rollback', { cloud: 'sim', server: server.id, imageFromJob: snap.id, confirm: true });
    await until(async () => (await h.events(rb.id)).some((e) => e.type === 'step.wait' && e.step === 'resolve-image'), 10_000);
    await h.engine.cancel(snap.id);
    expect((await h.finish(snap.id)).state).toBe('cancelled');
    const end = await h.finish(rb.id, 30_000);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'image_job_failed' });
    expect(end.error?.message).toContain('was cancelled');
    expect(h.sim.counters.get(REBUILD) ?? 0).toBe(0);
  });

  it('fails for a job that does not exist or is not a snapshot', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'web' });
    const { job: missing } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', imageFromJob: 'no-such-job', confirm: true });
    expect((await h.finish(missing.id)).error).toMatchObject({ code: 'image_job_not_found' });
    const { job: prune } = await h.engine.submit('prune', { cloud: 'sim', server: 'web', keep: 1 });
    await h.finish(prune.id);
    const { job: wrong } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', imageFromJob: prune.id, confirm: true });
    expect((await h.finish(wrong.id)).error).toMatchObject({ code: 'image_job_kind' });
  });

  it('takes exactly one of image and imageFromJob', async () => {
    h = await setup();
    await expect(h.engine.submit('rollback', { cloud: 'sim', server: 'web', confirm: true })).rejects.toBeInstanceOf(InvalidParamsError);
    await expect(h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: 'latest', imageFromJob: 'x', confirm: true })).rejects.toBeInstanceOf(
      InvalidParamsError,
    );
  });
});
