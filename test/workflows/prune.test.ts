import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, setup } from './harness';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const DAY = 86_400_000;
const DELETE_IMAGE = 'DELETE /v2/images/{id}';

function seed(hh: Harness, props: Record<string, unknown>, name: string, daysAgo: number, status?: 'killed' | 'saving') {
  const img = hh.sim.state.addImage({ name, createdAt: Date.now() - daysAgo * DAY, props }, Buffer.from(name));
  if (status) img.status = status;
  return img;
}

/** web's snapshots: nightly n1..n5 (n4 runs on another server), a killed one, one manual, two not made by snapflow. */
function world(hh: Harness) {
  const web = hh.sim.state.addServer({ name: 'web' });
  const tag = (policy: string, n: string) => ({ snapflow_job: `job-${n}`, snapflow_policy: policy, snapflow_server: web.id });
  const n = [1, 2, 3, 4, 5].map((d) => seed(hh, tag('nightly', `n${d}`), `web-n${d}`, d));
  const killed = seed(hh, tag('nightly', 'k'), 'web-killed', 2.5, 'killed');
  const manual = seed(hh, tag('manual', 'm'), 'web-m', 10);
  const untagged = seed(hh, { snapflow_policy: 'nightly', snapflow_server: web.id }, 'web-by-hand', 20);
  const nova = seed(hh, { instance_uuid: web.id, image_type: 'snapshot' }, 'web-nova', 30);
  const clone = hh.sim.state.addServer({ name: 'clone', imageId: n[3]!.id });
  return { web, n, killed, manual, untagged, nova, clone };
}

const ids = (list: Array<{ id: string }>) => list.map((i) => i.id).sort();

describe('prune workflow (engine + SQLite + simulator)', () => {
  it('keeps the newest N; never the in-use image, another policy or an image snapflow did not make', async () => {
    h = await setup();
    const w = world(h);
    const { job } = await h.engine.submit('prune', { cloud: 'sim', server: 'web', policy: 'nightly', keep: 2 });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const r = end.result as { deleted: Array<{ id: string }>; kept: Array<{ id: string }>; reasons: Record<string, string> };
    expect(ids(r.deleted)).toEqual(ids([w.n[2]!, w.n[4]!, w.killed]));
    expect(ids(r.kept)).toEqual(ids([w.n[0]!, w.n[1]!, w.n[3]!]));
    expect(r.reasons[w.n[0]!.id]).toBe('newest active snapshot');
    expect(r.reasons[w.n[3]!.id]).toMatch(/runs this image/);
    expect(r.reasons[w.killed.id]).toMatch(/killed/);
    for (const gone of r.deleted) expect(h.sim.state.images.has(gone.id)).toBe(false);
    for (const stays of [w.n[0]!, w.n[1]!, w.n[3]!, w.manual, w.untagged, w.nova]) expect(h.sim.state.images.has(stays.id)).toBe(true);
    expect(h.sim.counters.get(DELETE_IMAGE)).toBe(3);
  });

  it('maxAgeDays deletes everything older, except the newest active and the in-use one', async () => {
    h = await setup();
    const w = world(h);
    const { job } = await h.engine.submit('prune', { cloud: 'sim', server: 'web', policy: 'nightly', maxAgeDays: 0.5 });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const r = end.result as { deleted: Array<{ id: string }>; kept: Array<{ id: string }> };
    expect(ids(r.kept)).toEqual(ids([w.n[0]!, w.n[3]!]));
    expect(ids(r.deleted)).toEqual(ids([w.n[1]!, w.n[2]!, w.n[4]!, w.killed]));
    expect(h.sim.state.images.has(w.manual.id)).toBe(true);
  });

  it('dryRun lists what it would delete and touches nothing', async () => {
    h = await setup();
    const w = world(h);
    const before = h.sim.state.images.size;
    const { job } = await h.engine.submit('prune', { cloud: 'sim', server: 'web', policy: 'nightly', keep: 1, dryRun: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const r = end.result as { deleted: unknown[]; wouldDelete: Array<{ id: string }>; dryRun: boolean };
    expect(r.dryRun).toBe(true);
    expect(r.deleted).toEqual([]);
    expect(ids(r.wouldDelete)).toEqual(ids([w.n[1]!, w.n[2]!, w.n[4]!, w.killed]));
    expect(h.sim.state.images.size).toBe(before);
    expect(h.sim.counters.get(DELETE_IMAGE)).toBe(0);
  });

  it('deletes the Cinder snapshots of a volume-backed snapshot with its image', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'bfv', volumeBacked: true });
    const made: Array<{ imageId: string; volumeSnapshotIds: string[] }> = [];
    for (let i = 0; i < 2; i++) {
      const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'bfv', policy: 'nightly', name: `bfv-${i}` });
      const end = await h.finish(job.id);
      expect(end.state).toBe('succeeded');
      made.push(end.result as (typeof made)[number]);
    }
    const [older, newer] = made as [(typeof made)[number], (typeof made)[number]];
    const { job } = await h.engine.submit('prune', { cloud: 'sim', server: 'bfv', policy: 'nightly', keep: 1 });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect((end.result as { deleted: Array<{ id: string }> }).deleted.map((d) => d.id)).toEqual([older.imageId]);
    expect(h.sim.state.images.has(older.imageId)).toBe(false);
    const gone = h.sim.state.snapshots.get(older.volumeSnapshotIds[0]!);
    expect(gone === undefined || gone.status === 'deleting').toBe(true);
    expect(h.sim.state.images.has(newer.imageId)).toBe(true);
    expect(h.sim.state.snapshots.get(newer.volumeSnapshotIds[0]!)?.status).toBe('available');
  });

  it('a snapshot with keep applies the retention of its policy right after', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'ci' });
    const results: Array<{ imageId: string; pruned?: string[] }> = [];
    for (let i = 0; i < 3; i++) {
      const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'ci', policy: 'ci', keep: 2, name: `ci-${i}` });
      const end = await h.finish(job.id);
      expect(end.state).toBe('succeeded');
      results.push(end.result as (typeof results)[number]);
    }
    expect(results[2]!.pruned).toEqual([results[0]!.imageId]);
    const left = [...h.sim.state.images.values()]
      .filter((i) => i.props.snapflow_policy === 'ci')
      .map((i) => i.id)
      .sort();
    expect(left).toEqual([results[1]!.imageId, results[2]!.imageId].sort());
  });

  it('retries a burst of 5xx on delete, and a 404 (already gone) is fine', async () => {
    h = await setup();
    const w = world(h);
    h.sim.faults.add({ route: DELETE_IMAGE, times: 3, status: 503 });
    h.sim.faults.add({ route: DELETE_IMAGE, times: 1, status: 404, when: () => true });
    const { job } = await h.engine.submit('prune', { cloud: 'sim', server: 'web', policy: 'nightly', keep: 4 });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const r = end.result as { deleted: Array<{ id: string }> };
    expect(ids(r.deleted)).toEqual(ids([w.n[4]!, w.killed]));
    const retries = (await h.events(job.id)).filter((e) => e.type === 'step.retry' && e.step === 'delete-images');
    expect(retries.length).toBe(3);
  });
});
