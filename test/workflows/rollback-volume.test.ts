// Rollback of a volume-backed server to its boot-from-volume snapshot: the export chain
// (volume from the Cinder snapshot → upload to Glance → delete the volume), the 2.93 rebuild
// re-imaging the root volume with the exported bytes, and what is left behind on failure.
import { afterEach, describe, expect, it } from 'vitest';
import { allWorkflows } from '../../functions/workflows/all-workflows';
import type { WorkflowDeps } from '../../functions/workflows/deps';
import { exportName } from '../../functions/workflows/export-lookup';
import { createEngine } from '../../shared/engine/engine';
import { type Harness, REBUILD, setup, until } from './harness';

const CREATE_VOLUME = 'POST /v3/{project_id}/volumes';
const UPLOAD = 'POST /v3/{project_id}/volumes/{id}/action:os-volume_upload_image';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** What the export chain made for a job and has not deleted yet (volumes and images named after it). */
function leftovers(hh: Harness, jobId: string) {
  const name = exportName(jobId);
  return {
    volumes: [...hh.sim.state.volumes.values()].filter((v) => v.name === name).map((v) => `${v.id} ${v.status}`),
    images: [...hh.sim.state.images.values()].filter((i) => i.name === name).map((i) => `${i.id} ${i.status}`),
  };
}

/** A volume-backed server whose root volume holds `before`, snapshotted by a snapflow job, then overwritten with `after`. */
async function snapshotThenWrite(hh: Harness, before: string, after: string) {
  const server = hh.sim.state.addServer({ name: 'bfv', volumeBacked: true });
  const rootId = server.bdms[0]!.volumeId;
  hh.sim.state.writeVolume(rootId, Buffer.from(before));
  const snap = await hh.engine.submit('snapshot', { cloud: 'sim', server: 'bfv' });
  const snapEnd = await hh.finish(snap.job.id);
  expect(snapEnd.state).toBe('succeeded');
  hh.sim.state.writeVolume(rootId, Buffer.from(after));
  return { server, rootId, snapshotImageId: (snapEnd.result as { imageId: string }).imageId };
}

function rollback(hh: Harness, extra: Record<string, unknown> = {}) {
  return hh.engine.submit('rollback', { cloud: 'sim', server: 'bfv', image: 'latest', confirm: true, ...extra });
}

describe('rollback of a volume-backed server (engine + SQLite + simulator)', () => {
  it('exports the boot-from-volume snapshot, re-images the root volume with it, and deletes what it made', async () => {
    h = await setup();
    const { server, rootId, snapshotImageId } = await snapshotThenWrite(h, 'disk as snapshotted', 'disk written afterwards');
    const { job } = await rollback(h);
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const result = end.result as Record<string, unknown>;
    expect(result).toMatchObject({ serverId: server.id, imageId: snapshotImageId, volumeBacked: true, verifiedBy: 'volume_image_metadata' });
    expect(result.exportImageKept).toBe(false);
    expect(h.sim.state.volumeData(rootId).toString()).toBe('disk as snapshotted');
    expect(h.sim.state.volumes.get(rootId)?.imageMeta?.image_id).toBe(result.exportImageId);
    expect(leftovers(h, job.id)).toEqual({ volumes: [], images: [] });
    // the snapshot itself (image and Cinder snapshot) is untouched
    expect(h.sim.state.images.get(snapshotImageId)?.status).toBe('active');
    expect([...h.sim.state.snapshots.values()].filter((s) => s.volumeId === rootId)).toHaveLength(1);
    expect(h.sim.counters.get(CREATE_VOLUME)).toBe(1);
    expect(h.sim.counters.get(UPLOAD)).toBe(1);
    expect(h.sim.counters.get(REBUILD)).toBe(1);
  });

  it('keepImages keeps the export (raw here), tagged with the job and never taken for a snapshot of the server', async () => {
    h = await setup();
    const { server, rootId, snapshotImageId } = await snapshotThenWrite(h, 'v1', 'v2');
    const { job } = await rollback(h, { keepImages: true, exportDiskFormat: 'raw' });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const { exportImageId } = end.result as { exportImageId: string };
    const kept = h.sim.state.images.get(exportImageId)!;
    expect(kept).toMatchObject({ status: 'active', diskFormat: 'raw' });
    expect(kept.props.snapflow_job).toBe(job.id);
    expect(kept.props.snapflow_server).toBeUndefined();
    expect(leftovers(h, job.id).volumes).toEqual([]);
    // `latest` still means the snapshot, not the kept export
    h.sim.state.writeVolume(rootId, Buffer.from('v3'));
    const again = await rollback(h);
    const end2 = await h.finish(again.job.id);
    expect(end2.state).toBe('succeeded');
    expect(end2.result).toMatchObject({ serverId: server.id, imageId: snapshotImageId });
    expect(h.sim.state.volumeData(rootId).toString()).toBe('v1');
  });

  it('an upload Cinder fails: the job fails naming it, nothing temporary is left, the server is not rebuilt', async () => {
    h = await setup();
    const { rootId } = await snapshotThenWrite(h, 'old', 'new');
    h.sim.state.failNext.upload = 1;
    const { job } = await rollback(h);
    const end = await h.finish(job.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'export_failed' });
    await until(() => leftovers(h, job.id).volumes.length === 0);
    expect(leftovers(h, job.id).images).toEqual([]);
    expect(h.sim.counters.get(REBUILD)).toBe(0);
    expect(h.sim.state.volumeData(rootId).toString()).toBe('new');
  });

  it('the temporary volume going to error: the job fails at wait-export-volume and the errored volume is deleted', async () => {
    h = await setup();
    await snapshotThenWrite(h, 'old', 'new');
    h.sim.state.failNext.volumeCreate = 1;
    const { job } = await rollback(h);
    const end = await h.finish(job.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'export_volume_failed', step: 'wait-export-volume' });
    await until(() => leftovers(h, job.id).volumes.length === 0);
    expect(leftovers(h, job.id).images).toEqual([]);
    expect(h.sim.counters.get(UPLOAD)).toBe(0);
  });

  it('a cancel during the upload deletes the image and the temporary volume, and never rebuilds', async () => {
    h = await setup({ sim: { latency: { upload: 1_500 } } });
    const { rootId } = await snapshotThenWrite(h, 'old', 'new');
    const { job } = await rollback(h);
    await until(() => leftovers(h, job.id).images.length === 1, 10_000);
    await h.engine.cancel(job.id);
    const end = await h.finish(job.id);
    expect(end.state).toBe('cancelled');
    const evs = await h.events(job.id);
    expect(evs.some((e) => e.type === 'step.done' && e.step === 'cleanup-export-image')).toBe(true);
    // the volume's cleanup waits for the interrupted upload to give the volume back, then deletes it
    expect(evs.at(-1)).toMatchObject({ type: 'cleanup.done', step: 'cleanup-export-volume' });
    await until(() => leftovers(h, job.id).volumes.length === 0, 10_000);
    expect(leftovers(h, job.id).images).toEqual([]);
    expect(h.sim.counters.get(REBUILD)).toBe(0);
    expect(h.sim.state.volumeData(rootId).toString()).toBe('new');
  });

  for (const crash of ['createVolumeFromSnapshot', 'uploadToImage'] as const) {
    it(`a crash between ${crash} and its commit: the retry finds what the first attempt made`, async () => {
      h = await setup();
      const { server, rootId } = await snapshotThenWrite(h, 'old', 'new');
      let made = false;
      let release!: () => void;
      const gate = new Promise<void>((ok) => (release = ok));
      // Process A: the call goes through, then the process "dies" before committing.
      const depsA: WorkflowDeps = {
        ...h.deps,
        openstack(name, ctx) {
          const os = h.deps.openstack(name, ctx);
          const real = os.volume[crash].bind(os.volume) as (...a: unknown[]) => Promise<unknown>;
          (os.volume as unknown as Record<string, unknown>)[crash] = async (...args: unknown[]) => {
            const out = await real(...args);
            made = true;
            await gate;
            return out;
          };
          return os;
        },
      };
      const storeA = await h.openStore();
      const engineA = createEngine({
        store: storeA,
        workflows: allWorkflows(depsA),
        owner: 'process-a',
        leaseMs: 400,
        log: { info() {}, warn() {}, error() {} },
      });
      const { job } = await engineA.submit('rollback', { cloud: 'sim', server: server.id, image: 'latest', confirm: true });
      await until(() => made, 10_000);
      await engineA.close(10).catch(() => undefined);
      await storeA.close();

      const storeB = await h.openStore();
      h.newEngine({ store: storeB, owner: 'process-b' });
      const end = await h.finish(job.id, 15_000, storeB);
      release();
      expect(end.state).toBe('succeeded');
      expect(h.sim.counters.get(crash === 'createVolumeFromSnapshot' ? CREATE_VOLUME : UPLOAD)).toBe(1);
      expect(h.sim.state.volumeData(rootId).toString()).toBe('old');
      expect(leftovers(h, job.id)).toEqual({ volumes: [], images: [] });
      expect((await storeB.listEvents(job.id, 0, 1000)).some((e) => e.type === 'step.done' && e.attempt === 2)).toBe(true);
    });
  }
});
