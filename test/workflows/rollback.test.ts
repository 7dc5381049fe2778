import { afterEach, describe, expect, it } from 'vitest';
import { InvalidParamsError } from '../../shared/engine/errors';
import { type Harness, REBUILD, setup } from './harness';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** A snapflow snapshot of `serverId` seeded straight into Glance (active, with data). */
function seedSnapshot(hh: Harness, serverId: string, name: string, createdAt: number, policy = 'manual') {
  return hh.sim.state.addImage(
    { name, createdAt, props: { snapflow_job: `job-${name}`, snapflow_policy: policy, snapflow_server: serverId } },
    Buffer.from(`bytes of ${name}`),
  );
}

describe('rollback workflow (engine + SQLite + simulator)', () => {
  it('rebuilds an image-backed server from its latest snapshot, keeping name and metadata', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'web', metadata: { role: 'frontend' } });
    const t = Date.now();
    seedSnapshot(h, server.id, 'web-old', t - 3_600_000);
    const latest = seedSnapshot(h, server.id, 'web-new', t - 60_000);
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: 'latest', confirm: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect(end.result).toMatchObject({ serverId: server.id, imageId: latest.id, imageName: 'web-new', status: 'ACTIVE', verifiedBy: 'server.image' });
    expect(server.imageId).toBe(latest.id);
    expect(server.name).toBe('web');
    expect(server.metadata).toEqual({ role: 'frontend' });
    expect(h.sim.counters.get(REBUILD)).toBe(1);
  });

  it('by name, on a stopped server: Nova keeps it SHUTOFF and the job waits for that', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'db', status: 'SHUTOFF' });
    const snap = seedSnapshot(h, server.id, 'db-before-migration', Date.now() - 1000);
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: 'db', image: 'db-before-migration', confirm: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect(end.result).toMatchObject({ imageId: snap.id, status: 'SHUTOFF' });
    expect(server.vmState).toBe('stopped');
  });

  it('volume-backed: rebuilds with microversion 2.93 and verifies the root volume image', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'bfv', volumeBacked: true });
    // an image with data (e.g. a cleaned clone image) tagged as this server's snapshot
    const target = seedSnapshot(h, server.id, 'bfv-golden', Date.now() - 1000);
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: server.id, image: target.id, confirm: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect(end.result).toMatchObject({ volumeBacked: true, imageId: target.id, verifiedBy: 'volume_image_metadata' });
    const root = h.sim.state.volumes.get(server.bdms[0]!.volumeId)!;
    expect(root.imageMeta?.image_id).toBe(target.id);
    // the simulator (like Nova) refuses a volume-backed rebuild to another image below 2.93
    expect(h.sim.counters.get(REBUILD)).toBe(1);
  });

  it('volume-backed on a cloud without 2.93: fails at once, before any export or rebuild', async () => {
    h = await setup({ sim: { novaMaxMicroversion: '2.79' } });
    h.sim.state.addServer({ name: 'bfv', volumeBacked: true });
    // a boot-from-volume snapshot: its rollback would export it first
    const snap = await h.engine.submit('snapshot', { cloud: 'sim', server: 'bfv' });
    expect((await h.finish(snap.job.id)).state).toBe('succeeded');
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: 'bfv', image: 'latest', confirm: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('failed');
    expect(end.attempt).toBe(1);
    expect(end.error).toMatchObject({ code: 'microversion_unsupported', step: 'check-volume-rebuild' });
    expect(end.error?.message).toMatch(/2\.93/);
    expect(end.error?.message).toMatch(/up to 2\.79/);
    expect(h.sim.counters.get('POST /v3/{project_id}/volumes')).toBe(0);
    expect(h.sim.counters.get(REBUILD)).toBe(0);
  });

  it('refuses a foreign image unless allowForeignImage', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'web' });
    const other = h.sim.state.addServer({ name: 'other' });
    const foreign = seedSnapshot(h, other.id, 'other-snap', Date.now() - 1000);
    const refused = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: foreign.id, confirm: true });
    const end = await h.finish(refused.job.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'foreign_image', step: 'resolve-image' });
    expect(h.sim.counters.get(REBUILD)).toBe(0);

    const base = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: 'oslab-base', confirm: true, allowForeignImage: true });
    const ok = await h.finish(base.job.id);
    expect(ok.state).toBe('succeeded');
    expect(server.imageId).toBe(h.sim.state.baseImageId);
  });

  it('accepts a plain Nova snapshot of the server (instance_uuid) as its own', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'web' });
    const novaSnap = h.sim.state.addImage({ name: 'by-hand', props: { instance_uuid: server.id, image_type: 'snapshot' } }, Buffer.from('x'));
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: 'by-hand', confirm: true });
    expect((await h.finish(job.id)).state).toBe('succeeded');
    expect(server.imageId).toBe(novaSnap.id);
  });

  it('needs confirm: true (a 400 naming confirm), and latest needs a snapshot', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'web' });
    for (const body of [
      { cloud: 'sim', server: 'web', image: 'latest' },
      { cloud: 'sim', server: 'web', image: 'latest', confirm: false },
    ]) {
      const err = await h.engine.submit('rollback', body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidParamsError);
      expect((err as InvalidParamsError).issues.map((i) => (i as { path: unknown[] }).path.join('.'))).toEqual(['confirm']);
      expect((err as Error).message).toMatch(/confirm/);
    }
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: 'latest', confirm: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('failed');
    expect(end.error?.code).toBe('image_not_found');
  });

  it('retries the rebuild on 409 and rebuilds exactly once', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'web' });
    const snap = seedSnapshot(h, server.id, 'web-snap', Date.now() - 1000);
    h.sim.faults.add({ route: REBUILD, times: 2, status: 409 });
    const { job } = await h.engine.submit('rollback', { cloud: 'sim', server: 'web', image: 'latest', confirm: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect(server.imageId).toBe(snap.id);
    const rebuilt = (await h.events(job.id)).filter((e) => e.type === 'step.done' && e.step === 'rebuild-server');
    expect(rebuilt).toHaveLength(1);
    expect(h.sim.counters.get(REBUILD)).toBe(3);
  });
});
