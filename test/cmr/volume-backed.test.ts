// Clone, move and rename of a boot-from-volume source: its snapshot image holds no bytes,
// so each job exports the root disk's Cinder snapshot to an image (a temporary volume →
// os-volume_upload_image) and hands that to the real runner process. Checked: the runner
// cleaned the export (it is the cleaned image's source), a copy can boot from a new volume,
// the move's size check reads the export, and nothing temporary is left (export volume,
// export image, the job's Cinder snapshot), on success and when the export fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../shared/sim/model';
import { type CmrEnv, startCmrEnv, until } from './support';

let t: CmrEnv;

beforeAll(async () => {
  t = await startCmrEnv();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const raw = () => t.env.sim.state.raw;
const rootOf = (s: Server) => s.bdms.find((b) => b.bootIndex === 0)!.volumeId;
/** What the job left in Cinder: its export volumes, and snapshots of the source's root volume. */
function cinderLeftovers(jobId: string, rootId: string) {
  const volumes = [...raw().volumes.values()].filter((v) => v.name === `snapflow-export-${jobId}` && v.status !== 'deleting');
  const snapshots = [...raw().snapshots.values()].filter((s) => s.volumeId === rootId && s.status !== 'deleting');
  return { volumes: volumes.map((v) => v.id), snapshots: snapshots.map((s) => s.id) };
}

describe('volume-backed sources', () => {
  it('clone: the root disk is exported, cleaned by the runner, and the copy boots from a new volume; nothing temporary is left', async () => {
    t.tools.set({ sysprepMs: 20 });
    const src = t.addSource('bfv1', { volumeBacked: true });
    const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'bfv1', newName: 'bfv1-copy', bootFromVolume: { size: 2 } });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const result = job.result as { snapshotImageId: string; exportImageId: string; cleanedImageId: string; imagesDeleted: string[] };
    expect(result.exportImageId).toBeDefined();
    expect(new Set(result.imagesDeleted)).toEqual(new Set([result.snapshotImageId, result.exportImageId, result.cleanedImageId]));
    const steps = (await t.svc.events(id)).filter((e) => e.type === 'step.done').map((e) => e.step);
    expect(steps).toEqual(expect.arrayContaining(['create-export-volume', 'upload-export-image', 'delete-export-volume', 'clean-image']));
    const copy = t.servers('admin').find((s) => s.name === 'bfv1-copy')!;
    expect(copy).toMatchObject({ vmState: 'active', imageId: null });
    const boot = raw().volumes.get(rootOf(copy))!;
    expect(boot.size).toBe(2);
    // the new disk came from the cleaned image, which came from the export, not from the empty snapshot image
    expect(boot.imageMeta?.image_id).toBe(result.cleanedImageId);
    expect(t.jobImages(id)).toEqual([]);
    expect(cinderLeftovers(id, rootOf(src))).toEqual({ volumes: [], snapshots: [] });
    expect(t.servers('admin').find((s) => s.id === src.id)?.vmState).toBe('active');
  });

  it('move with deleteSource: the size check reads the export; the source and its delete-on-termination root volume are gone', async () => {
    t.tools.set({ sysprepMs: 20 });
    const src = t.addSource('bfv2', { volumeBacked: true });
    src.bdms[0]!.deleteOnTermination = true;
    const rootId = rootOf(src);
    const bytes = t.env.sim.state.volumeData(rootId).length;
    const id = await t.svc.submit({ kind: 'move', cloud: 'sim', server: 'bfv2', to: { cloud: 'sim-dest' }, deleteSource: true, confirm: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result).toMatchObject({ snapshotBytes: bytes, sourceDeleted: true });
    expect(t.servers('dest').find((s) => s.name === 'bfv2')?.vmState).toBe('active');
    expect(t.servers('admin').some((s) => s.id === src.id)).toBe(false);
    // the job's Cinder snapshot went before the source: Cinder could delete the root volume with it
    expect(raw().volumes.get(rootId)?.status ?? 'gone').toMatch(/^(gone|deleting)$/);
    expect(t.jobImages(id)).toEqual([]);
    expect(cinderLeftovers(id, rootId)).toEqual({ volumes: [], snapshots: [] });
  });

  it('rename keeping the images: the new server runs the hostname-cleaned export, the old VM goes last, its Cinder snapshot stays', async () => {
    t.tools.set({ sysprepMs: 20, hostname: 'bfv4' });
    const old = t.addSource('bfv3', { volumeBacked: true });
    const id = await t.svc.submit({ kind: 'rename', cloud: 'sim', server: 'bfv3', newName: 'bfv4', confirm: true, keepImages: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const renamed = t.servers('admin').find((s) => s.name === 'bfv4')!;
    const result = job.result as { cleanedImageId: string; exportImageId: string };
    expect(renamed).toMatchObject({ vmState: 'active', imageId: result.cleanedImageId });
    expect(raw().images.get(result.cleanedImageId)?.props.snapflow_source_image).toBe(result.exportImageId);
    expect(t.servers('admin').some((s) => s.id === old.id)).toBe(false);
    const left = cinderLeftovers(id, rootOf(old));
    expect(left.volumes).toEqual([]);
    expect(left.snapshots).toHaveLength(1);
    expect(t.jobImages(id).map((i) => i.id)).toEqual(expect.arrayContaining([result.exportImageId, result.cleanedImageId]));
  });

  it('an export Cinder fails: the job fails naming it, no volume, image or snapshot is left, the source runs again', async () => {
    t.tools.set({ sysprepMs: 20 });
    const src = t.addSource('bfv5', { volumeBacked: true });
    raw().failNext.upload = 1;
    const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'bfv5', newName: 'bfv5-copy', stop: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'export_failed' } });
    await until('the export volume to go', () => cinderLeftovers(id, rootOf(src)).volumes.length === 0);
    await until('the job snapshot to go', () => cinderLeftovers(id, rootOf(src)).snapshots.length === 0);
    expect(t.jobImages(id)).toEqual([]);
    expect(t.servers('admin').some((s) => s.name === 'bfv5-copy')).toBe(false);
    await until('the source to run again', () => t.servers('admin').find((s) => s.id === src.id)?.vmState === 'active');
  });

  it('a move of a Windows guest booted from a volume is refused: os_type comes from the root volume', async () => {
    t.addSource('bfv6', { volumeBacked: true, imageProps: { os_type: 'windows' } });
    const res = await t.svc.request<{ error: { code: string } }>('POST', '/v1/jobs', { kind: 'move', cloud: 'sim', server: 'bfv6', to: { cloud: 'sim-dest' } });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'windows_move' } } });
  });
});
