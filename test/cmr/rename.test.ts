// rename through the whole chain (service over HTTP, a real snapflow-runner process with the
// tool doubles, the simulator): the new server with the new name and the old one's flavor,
// key and metadata, the old VM deleted only once the new one is ACTIVE; on a failure before
// that (the new server in ERROR, a cancel mid-sysprep) the old VM is started again and
// nothing temporary is left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CmrEnv, scratchEmpty, startCmrEnv, until } from './support';

let t: CmrEnv;

beforeAll(async () => {
  t = await startCmrEnv();
  t.env.sim.state.raw.keypairs.add('ops-key');
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const byName = (name: string) => t.servers('admin').find((s) => s.name === name);

describe('rename', () => {
  it('writes the new hostname into the guest, boots the new server, then deletes the old one', async () => {
    t.tools.set({ sysprepMs: 20, hostname: 'db2' });
    const old = t.addSource('db1', { metadata: { owner: 'team-c' } });
    old.keyName = 'ops-key';
    const id = await t.svc.submit({ kind: 'rename', cloud: 'sim', server: 'db1', newName: 'db2', confirm: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const renamed = byName('db2')!;
    expect(renamed).toMatchObject({ vmState: 'active', flavorId: '1', keyName: 'ops-key', metadata: { owner: 'team-c', snapflow_job: id } });
    expect(byName('db1')).toBeUndefined();
    expect(job.result).toMatchObject({ oldServer: { id: old.id, deleted: true }, newServer: { id: renamed.id, name: 'db2' } });
    const sysprep = t.tools.runs().find((r) => r[0] === 'virt-sysprep')!;
    expect(sysprep.join(' ')).toContain('net-hostname');
    expect(sysprep.join(' ')).toContain('/etc/hostname:db2');
    expect(t.jobImages(id)).toEqual([]);
  });

  it('the new server going to ERROR: it is deleted, the images go, the old VM runs again as it was', async () => {
    t.tools.set({ sysprepMs: 20, hostname: 'db4' });
    t.addSource('db3');
    t.env.sim.state.raw.failingBuilds.add('db4');
    const id = await t.svc.submit({ kind: 'rename', cloud: 'sim', server: 'db3', newName: 'db4', confirm: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'new_server_failed' } });
    await until('the old VM to run again', () => byName('db3')?.vmState === 'active');
    expect(byName('db4')).toBeUndefined();
    expect(t.jobImages(id)).toEqual([]);
  });

  it('a cancel during virt-sysprep: the runner stops, the snapshot goes, the old VM runs again', async () => {
    t.tools.set({ sysprepMs: 120_000 });
    t.addSource('db5');
    const id = await t.svc.submit({ kind: 'rename', cloud: 'sim', server: 'db5', newName: 'db6', confirm: true });
    await until('the runner to be in sysprep', async () => (await t.svc.store.getJob(id))?.progress?.phase === 'sysprep');
    expect(byName('db5')?.vmState).toBe('stopped');
    expect((await t.svc.request('POST', `/v1/jobs/${id}/cancel`)).status).toBe(202);
    expect((await t.svc.wait(id, 30_000)).state).toBe('cancelled');
    await until('the old VM to run again', () => byName('db5')?.vmState === 'active');
    expect(byName('db6')).toBeUndefined();
    await until('the runner to clean its scratch', () => scratchEmpty(t.scratchDir));
    expect(t.jobImages(id)).toEqual([]);
  });

  it('needs confirm and a host name: 400 naming the field', async () => {
    const noConfirm = await t.svc.request('POST', '/v1/jobs', { kind: 'rename', cloud: 'sim', server: 'db1', newName: 'db9' });
    expect(noConfirm).toMatchObject({ status: 400, body: { error: { field: 'confirm' } } });
    const badName = await t.svc.request('POST', '/v1/jobs', { kind: 'rename', cloud: 'sim', server: 'db1', newName: 'db_9', confirm: true });
    expect(badName).toMatchObject({ status: 400, body: { error: { field: 'newName' } } });
  });
});
