// clone through the whole chain: POST /v1/jobs → the service's steps against the simulator →
// a real snapflow-runner process (tool doubles) → the new server. Also its faults: the
// runner failing for good and for retryable reasons until the attempts run out, a full
// quota, the new server going to ERROR; each leaves no server and no image behind and the
// source running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CmrEnv, scratchEmpty, startCmrEnv, until } from './support';

let t: CmrEnv;

beforeAll(async () => {
  t = await startCmrEnv();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const statusOf = (name: string) => t.servers('admin').find((s) => s.name === name)?.vmState;

describe('clone', () => {
  it('stops, snapshots and restarts the source, has the image fully cleaned into the target, boots the copy, keeps the images when asked', async () => {
    t.tools.set({ sysprepMs: 50 });
    const src = t.addSource('web1', { metadata: { owner: 'team-a' } });
    const id = await t.svc.submit({
      kind: 'clone',
      cloud: 'sim',
      server: 'web1',
      newName: 'web1-copy',
      stop: true,
      to: { cloud: 'sim-dest' },
      metadata: { purpose: 'ci' },
      deletePaths: ['/etc/krb5.keytab'],
      keepImages: true,
    });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const copy = t.servers('dest').find((s) => s.name === 'web1-copy')!;
    expect(copy).toMatchObject({ vmState: 'active', flavorId: '1', metadata: { owner: 'team-a', purpose: 'ci', snapflow_job: id } });
    const images = t.jobImages(id);
    const cleaned = images.find((i) => i.project === 'dest')!;
    const snapshot = images.find((i) => i.project === 'admin')!;
    expect(job.result).toMatchObject({
      serverId: src.id,
      newServer: { id: copy.id, name: 'web1-copy', cloud: 'sim-dest' },
      snapshotImageId: snapshot.id,
      cleanedImageId: cleaned.id,
      imagesDeleted: [],
      stopped: true,
    });
    expect(copy.imageId).toBe(cleaned.id);
    expect(cleaned.props).toMatchObject({ os: 'LINUX', snapflow_source_image: snapshot.id, snapflow_source_server: src.id });
    const sysprep = t.tools.runs().find((r) => r[0] === 'virt-sysprep')!;
    expect(sysprep).toEqual(expect.arrayContaining(['--delete', '/etc/krb5.keytab']));
    expect(sysprep).not.toContain('--enable');
    expect(statusOf('web1')).toBe('active');
    expect(scratchEmpty(t.scratchDir)).toBe(true);
  });

  it('deletes the snapshot and the cleaned image at the end by default; the source was never stopped', async () => {
    t.tools.set({ sysprepMs: 50 });
    t.addSource('web2');
    const stops = () => t.env.sim.counters.get('POST /v2.1/servers/{id}/action:os-stop') ?? 0;
    const stopsBefore = stops();
    const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'web2', newName: 'web2-copy', os: 'WINDOWS' });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(t.servers('admin').find((s) => s.name === 'web2-copy')?.vmState).toBe('active');
    expect((job.result as { imagesDeleted: string[] }).imagesDeleted).toHaveLength(2);
    expect(t.jobImages(id)).toEqual([]);
    expect(stops()).toBe(stopsBefore);
  });

  it('a runner failing for good: the job fails naming it, the half-made images go, the source runs again', async () => {
    t.tools.set({ sysprepMs: 20, sysprepRc: 1, sysprepStderr: 'virt-sysprep: error: nothing to do' });
    t.addSource('web3');
    const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'web3', newName: 'web3-copy', stop: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'sysprep_failed', step: 'clean-image' } });
    expect(t.jobImages(id)).toEqual([]);
    expect(t.servers('admin').some((s) => s.name === 'web3-copy')).toBe(false);
    await until('the source to run again', () => statusOf('web3') === 'active');
  });

  it('a retryable runner failure on every attempt: the task is tried maxAttempts times, then the job fails and cleans up', async () => {
    t.tools.set({ sysprepMs: 20, sysprepRc: 1, sysprepStderr: 'libguestfs: error: guestfs_launch failed' });
    t.addSource('web4');
    const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'web4', newName: 'web4-copy' });
    const job = await t.svc.wait(id, 60_000);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'sysprep_failed' } });
    const retries = (await t.svc.events(id)).filter((e) => e.type === 'runner.retry');
    expect(retries).toHaveLength(2);
    expect(t.jobImages(id)).toEqual([]);
  });

  it('the new server going to ERROR: the job fails with Nova’s fault, the broken server and the images are deleted', async () => {
    t.tools.set({ sysprepMs: 20 });
    t.addSource('web5');
    t.env.sim.state.raw.failingBuilds.add('web5-copy');
    const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'web5', newName: 'web5-copy' });
    const job = await t.svc.wait(id, 60_000);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'new_server_failed', step: 'wait-new-server' } });
    expect(job.error?.message).toContain('No valid host was found');
    await until('the broken server to be deleted', () => !t.servers('admin').some((s) => s.name === 'web5-copy'));
    expect(t.jobImages(id)).toEqual([]);
  });

  it('a full quota in the target project: a clear failure, nothing left behind', async () => {
    t.tools.set({ sysprepMs: 20 });
    t.addSource('web6');
    const quotas = t.env.sim.state.raw.quotas;
    quotas.instances = t.servers('dest').length;
    try {
      const id = await t.svc.submit({ kind: 'clone', cloud: 'sim', server: 'web6', newName: 'web6-copy', to: { cloud: 'sim-dest' } });
      const job = await t.svc.wait(id, 60_000);
      expect(job).toMatchObject({ state: 'failed', error: { code: 'quota_exceeded', step: 'create-server' } });
      expect(job.error?.message).toContain('Quota exceeded for instances');
      expect(t.jobImages(id)).toEqual([]);
    } finally {
      quotas.instances = null;
    }
  });
});

describe('clone submission', () => {
  it('a bad body is a 400 naming the field; a dry run answers the plan', async () => {
    const bad = await t.svc.request<{ error: { field: string } }>('POST', '/v1/jobs', {
      kind: 'clone',
      cloud: 'sim',
      server: 'web1',
      newName: 'x',
      deletePaths: ['etc/krb5.keytab'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('deletePaths.0');
    const unknownDest = await t.svc.request<{ error: { field: string } }>('POST', '/v1/jobs', {
      kind: 'clone',
      cloud: 'sim',
      server: 'web1',
      newName: 'x',
      to: { cloud: 'nowhere' },
    });
    expect(unknownDest).toMatchObject({ status: 400, body: { error: { field: 'to.cloud' } } });
    const plan = await t.svc.request<{ plan: string[] }>('POST', '/v1/jobs', { kind: 'clone', cloud: 'sim', server: 'web1', newName: 'x', dryRun: true });
    expect(plan.status).toBe(200);
    expect(plan.body.plan).toEqual([
      'resolve-server',
      'check-destination',
      'create-image',
      'wait-image-active',
      // a volume-backed source's root disk is exported first (skipped for an image-backed one)
      'create-export-volume',
      'wait-export-volume',
      'upload-export-image',
      'tag-export-image',
      'wait-export-image',
      'delete-export-volume',
      'clean-image',
      'create-server',
      'wait-new-server',
      'delete-images',
    ]);
  });
});
