import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_IMAGE, type Harness, imagesOfJob, setup, until } from './harness';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('snapshot workflow (engine + SQLite + simulator)', () => {
  it('snapshots an image-backed server, tags the image and records request ids', async () => {
    h = await setup();
    const server = h.sim.state.addServer({ name: 'web' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web', properties: { owner_team: 'ci' } });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const result = end.result as Record<string, unknown>;
    expect(result).toMatchObject({ serverId: server.id, volumeBacked: false, volumeSnapshotIds: [] });
    const image = h.sim.state.images.get(result.imageId as string)!;
    expect(image.status).toBe('active');
    expect(image.name).toMatch(/^web-snap-\d{8}-\d{6}$/);
    expect(result.imageName).toBe(image.name);
    expect(image.props).toMatchObject({
      snapflow_job: job.id,
      snapflow_policy: 'manual',
      snapflow_server: server.id,
      snapflow_volume_backed: 'false',
      owner_team: 'ci',
    });
    expect(h.sim.counters.get(CREATE_IMAGE)).toBe(1);
    // no stop/start without `stop: true`
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action:os-stop')).toBe(0);
    const events = await h.events(job.id);
    const created = events.find((e) => e.type === 'step.done' && e.step === 'create-image');
    expect(created?.requestIds.length).toBeGreaterThan(0);
    expect(end.lockKey).toBe('sim/web');
    expect(end.concurrencyKey).toBe('project:sim');
  });

  it('stops the server, snapshots it and starts it again; leaves an already stopped server stopped', async () => {
    h = await setup();
    const running = h.sim.state.addServer({ name: 'app' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: running.id, stop: true, name: 'app-before-upgrade' });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect(end.result).toMatchObject({ stopped: true, imageName: 'app-before-upgrade' });
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action:os-stop')).toBe(1);
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action:os-start')).toBe(1);
    expect(running.vmState).toBe('active');
    const steps = (await h.events(job.id)).filter((e) => e.type === 'step.done').map((e) => e.step);
    expect(steps.indexOf('wait-shutoff')).toBeLessThan(steps.indexOf('create-image'));

    const off = h.sim.state.addServer({ name: 'off', status: 'SHUTOFF' });
    const second = await h.engine.submit('snapshot', { cloud: 'sim', server: 'off', stop: true });
    expect((await h.finish(second.job.id)).state).toBe('succeeded');
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action:os-start')).toBe(1);
    expect(off.vmState).toBe('stopped');
  });

  it('retries createImage on 409 (faults and a real concurrent task) and makes one image', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'web' });
    h.sim.faults.add({ route: CREATE_IMAGE, times: 2, status: 409 });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    expect((await h.finish(job.id)).state).toBe('succeeded');
    expect(h.sim.counters.get(CREATE_IMAGE)).toBe(3);
    expect(imagesOfJob(h.sim, job.id)).toHaveLength(1);
    const retries = (await h.events(job.id)).filter((e) => e.type === 'step.retry' && e.step === 'create-image');
    expect(retries).toHaveLength(2);

    // Another snapshot's task_state on the server: Nova's own 409 until it clears.
    const busy = h.sim.state.addServer({ name: 'busy' });
    busy.taskState = 'image_uploading';
    setTimeout(() => (busy.taskState = null), 300);
    const second = await h.engine.submit('snapshot', { cloud: 'sim', server: 'busy' });
    const end = await h.finish(second.job.id);
    expect(end.state).toBe('succeeded');
    const busyRetries = (await h.events(second.job.id)).filter((e) => e.type === 'step.retry' && e.step === 'create-image');
    expect(busyRetries.length).toBeGreaterThan(0);
    expect(busyRetries[0]?.message).toMatch(/task_state image_uploading/);
    expect(imagesOfJob(h.sim, second.job.id)).toHaveLength(1);
  });

  it('fails with the reason when the image is killed, and deletes the half-made image', async () => {
    h = await setup({ sim: { latency: { snapshot: 400 } } });
    const server = h.sim.state.addServer({ name: 'web' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web', stop: true });
    const image = await until(() => imagesOfJob(h.sim, job.id)[0]);
    image.status = 'killed';
    const end = await h.finish(job.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ step: 'wait-image-active', code: 'image_failed' });
    expect(end.error?.message).toMatch(/killed/);
    expect(imagesOfJob(h.sim, job.id)).toHaveLength(0);
    // this job stopped the server: cleanup started it again
    await until(() => server.vmState === 'active' && server.taskState === null);
    const types = (await h.events(job.id)).map((e) => e.type);
    expect(types).toContain('cleanup.done');
  });

  it('survives token expiry during a wait and bursts of 5xx', async () => {
    h = await setup({ sim: { latency: { snapshot: 300 } } });
    h.sim.state.addServer({ name: 'web' });
    h.sim.faults.add({ route: 'GET /v2.1/servers/detail', times: 3, status: 503 });
    h.sim.faults.add({ route: 'GET /v2/images/{id}', times: 3, status: 500 });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    await until(async () => (await h.store.getJob(job.id))?.step === 'wait-image-active');
    h.sim.state.expireTokens();
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const retries = (await h.events(job.id)).filter((e) => e.type === 'step.retry');
    expect(retries.map((e) => e.step)).toEqual(expect.arrayContaining(['resolve-server', 'wait-image-active']));
    expect(imagesOfJob(h.sim, job.id)).toHaveLength(1);
    // the re-authentication happened inside the client: a second token request
    expect(h.sim.counters.get('POST /v3/auth/tokens')).toBeGreaterThanOrEqual(2);
  });

  it('cancel while waiting runs the cleanup: image deleted, stopped server started again', async () => {
    h = await setup({ sim: { latency: { snapshot: 2_000 } } });
    const server = h.sim.state.addServer({ name: 'web' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web', stop: true });
    await until(async () => (await h.store.getJob(job.id))?.step === 'wait-image-active' && imagesOfJob(h.sim, job.id).length === 1);
    await h.engine.cancel(job.id);
    const end = await h.finish(job.id);
    expect(end.state).toBe('cancelled');
    expect(imagesOfJob(h.sim, job.id)).toHaveLength(0);
    await until(() => server.vmState === 'active');
  });

  it('snapshots a volume-backed server and waits for its Cinder snapshots', async () => {
    h = await setup({ sim: { latency: { volumeSnapshot: 300 } } });
    const server = h.sim.state.addServer({ name: 'bfv', volumeBacked: true });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'bfv' });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const result = end.result as { volumeBacked: boolean; volumeSnapshotIds: string[]; imageId: string; serverId: string };
    expect(result.volumeBacked).toBe(true);
    expect(result.serverId).toBe(server.id);
    expect(result.volumeSnapshotIds).toHaveLength(1);
    expect(h.sim.state.snapshots.get(result.volumeSnapshotIds[0]!)?.status).toBe('available');
    expect(h.sim.state.images.get(result.imageId)?.props.snapflow_volume_backed).toBe('true');
    const waits = (await h.events(job.id)).filter((e) => e.type === 'step.wait' && e.step === 'wait-volume-snapshots');
    expect(waits.length).toBeGreaterThan(0);
  });

  it('a dry run resolves the server and creates nothing', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'web' });
    expect(h.engine.plan('snapshot', { cloud: 'sim', server: 'web', stop: true }).steps).toEqual([
      'resolve-server',
      'stop-server',
      'wait-shutoff',
      'create-image',
      'wait-image-active',
      'wait-volume-snapshots',
      'start-server',
      'wait-active',
    ]);
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web', stop: true, dryRun: true });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect(end.result).toMatchObject({ dryRun: true });
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action')).toBe(0);
  });

  it('fails at once for an unknown server or cloud', async () => {
    h = await setup();
    const a = await h.engine.submit('snapshot', { cloud: 'sim', server: 'nope' });
    const b = await h.engine.submit('snapshot', { cloud: 'elsewhere', server: 'web' });
    const [ea, eb] = [await h.finish(a.job.id), await h.finish(b.job.id)];
    expect(ea).toMatchObject({ state: 'failed', attempt: 1 });
    expect(ea.error?.code).toBe('openstack.not_found');
    expect(eb).toMatchObject({ state: 'failed', attempt: 1 });
    expect(eb.error?.code).toBe('unknown_cloud');
  });

  it('limits snapshots per project (config snapshotsPerProject) and serialises jobs of one server', async () => {
    h = await setup({ config: { snapshotsPerProject: 1 } });
    h.sim.state.addServer({ name: 'a' });
    h.sim.state.addServer({ name: 'b' });
    const first = await h.engine.submit('snapshot', { cloud: 'sim', server: 'a' });
    const second = await h.engine.submit('snapshot', { cloud: 'sim', server: 'b' });
    const third = await h.engine.submit('prune', { cloud: 'sim', server: 'a', keep: 1 });
    const [j1, j2, j3] = [await h.finish(first.job.id), await h.finish(second.job.id), await h.finish(third.job.id)];
    expect([j1.state, j2.state, j3.state]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(j2.startedAt!).toBeGreaterThanOrEqual(j1.finishedAt!);
    // same lock key (cloud/server): the prune of a waited for the snapshot of a
    expect(j3.startedAt!).toBeGreaterThanOrEqual(j1.finishedAt!);
  });

  it('never waits forever: past snapshotWaitMs the job fails and the unfinished image is deleted', async () => {
    h = await setup({ sim: { latency: { snapshot: 10_000 } }, config: { snapshotWaitMs: 300 } });
    h.sim.state.addServer({ name: 'slow' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'slow' });
    const end = await h.finish(job.id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'image_timeout', step: 'wait-image-active' });
    expect(imagesOfJob(h.sim, job.id)).toHaveLength(0);
  });
});
