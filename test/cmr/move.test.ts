// move through the whole chain (service over HTTP, a real snapflow-runner process with the
// tool doubles, the simulator): from project admin (`sim`) to project dest (`sim-dest`),
// with and without keepHostname, the source deleted only when it should be; DNS that never
// lets go of the name (deadline → clear failure, the cleaned image kept); a runner killed
// with -9 mid-sysprep and a new one taking the task over; a Windows guest refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CmrEnv, scratchEmpty, startCmrEnv, until } from './support';

let t: CmrEnv;

beforeAll(async () => {
  t = await startCmrEnv();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const inAdmin = (name: string) => t.servers('admin').find((s) => s.name === name);
const inDest = (name: string) => t.servers('dest').find((s) => s.name === name);

describe('move', () => {
  it('without keepHostname: the copy runs in the destination, the source stays (stopped) unless deleteSource', async () => {
    t.tools.set({ sysprepMs: 20 });
    t.addSource('app1', { metadata: { owner: 'team-b' } });
    const id = await t.svc.submit({ kind: 'move', cloud: 'sim', server: 'app1', to: { cloud: 'sim-dest' } });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(inDest('app1')).toMatchObject({ vmState: 'active', flavorId: '1', metadata: { owner: 'team-b', snapflow_job: id } });
    expect(inAdmin('app1')?.vmState).toBe('stopped');
    expect(job.result).toMatchObject({ sourceDeleted: false, newServer: { id: inDest('app1')!.id, cloud: 'sim-dest' } });
    expect(t.jobImages(id)).toEqual([]);
    const sysprep = t.tools.runs().find((r) => r[0] === 'virt-sysprep')!;
    expect(sysprep.join(' ')).toContain('--enable udev-persistent-net,net-hwaddr,customize');
  });

  it('with deleteSource: the source is deleted once the copy is ACTIVE', async () => {
    t.tools.set({ sysprepMs: 20 });
    t.addSource('app2');
    const id = await t.svc.submit({ kind: 'move', cloud: 'sim', server: 'app2', to: { cloud: 'sim-dest' }, deleteSource: true, confirm: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(inAdmin('app2')).toBeUndefined();
    expect(inDest('app2')?.vmState).toBe('active');
    expect(job.result).toMatchObject({ sourceDeleted: true });
  });

  it('keepHostname: the source is deleted, its name expires from DNS, then the copy takes it', async () => {
    t.tools.set({ sysprepMs: 20 });
    t.addSource('app3');
    const id = await t.svc.submit({ kind: 'move', cloud: 'sim', server: 'app3', to: { cloud: 'sim-dest' }, keepHostname: true, confirm: true });
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result).toMatchObject({ sourceDeleted: true, hostname: 'app3.example.org' });
    expect(inAdmin('app3')).toBeUndefined();
    expect(inDest('app3')?.vmState).toBe('active');
    const steps = (await t.svc.events(id)).filter((e) => e.type === 'step.done').map((e) => e.step);
    expect(steps.indexOf('wait-dns-gone')).toBeLessThan(steps.indexOf('create-server'));
    expect(t.jobImages(id)).toEqual([]);
  });

  it('keepHostname with a name that never expires: a clear failure at the deadline, the cleaned image kept as the only copy', async () => {
    t.tools.set({ sysprepMs: 20 });
    t.addSource('app4');
    t.dns.mode = 'always';
    try {
      const id = await t.svc.submit({ kind: 'move', cloud: 'sim', server: 'app4', to: { cloud: 'sim-dest' }, keepHostname: true, confirm: true });
      const job = await t.svc.wait(id, 60_000);
      expect(job).toMatchObject({ state: 'failed', error: { code: 'dns_timeout', step: 'wait-dns-gone' } });
      const kept = t.jobImages(id);
      expect(kept.map((i) => i.project).sort()).toEqual(['admin', 'dest']);
      expect(job.error?.message).toContain(kept.find((i) => i.project === 'dest')!.id);
      expect(inAdmin('app4')).toBeUndefined();
      expect(inDest('app4')).toBeUndefined();
    } finally {
      t.dns.mode = 'servers';
    }
  });

  it('a runner killed with -9 mid-sysprep: another takes the task over after the lease, one cleaned image, the move completes', async () => {
    t.tools.set({ sysprepMs: 120_000 });
    t.addSource('app5');
    const id = await t.svc.submit({ kind: 'move', cloud: 'sim', server: 'app5', to: { cloud: 'sim-dest' } });
    await until('the runner to be in sysprep', async () => (await t.svc.store.getJob(id))?.progress?.phase === 'sysprep');
    const old = t.runner();
    old.kill('SIGKILL');
    await new Promise((r) => old.once('exit', r));
    for (const pid of t.tools.pids('virt-sysprep')) if (t.tools.running(pid)) process.kill(pid, 'SIGKILL');
    t.tools.set({ sysprepMs: 20 });
    t.restartRunner();
    const job = await t.svc.wait(id, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const claims = (await t.svc.events(id)).filter((e) => e.type === 'runner.claimed' || e.type === 'runner.reclaimed').map((e) => e.type);
    expect(claims).toEqual(['runner.claimed', 'runner.reclaimed']);
    expect(inDest('app5')?.vmState).toBe('active');
    expect(t.jobImages(id)).toEqual([]);
    await until('the scratch directory to be empty', () => scratchEmpty(t.scratchDir));
  });
});

describe('move submission', () => {
  it('a Windows guest is refused: it needs a request ticket', async () => {
    t.addSource('win1', { metadata: { 'landb-os': 'WINDOWS' } });
    t.addSource('win2', { imageProps: { os_type: 'windows' } });
    for (const server of ['win1', 'win2']) {
      const res = await t.svc.request<{ error: { code: string; message: string } }>('POST', '/v1/jobs', {
        kind: 'move',
        cloud: 'sim',
        server,
        to: { cloud: 'sim-dest' },
      });
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'windows_move' } } });
      expect(res.body.error.message).toContain('request ticket');
    }
  });

  it('keepHostname without confirm, or to the same cloud, is a 400 naming the field', async () => {
    const noConfirm = await t.svc.request('POST', '/v1/jobs', { kind: 'move', cloud: 'sim', server: 'app1', to: { cloud: 'sim-dest' }, keepHostname: true });
    expect(noConfirm).toMatchObject({ status: 400, body: { error: { field: 'confirm' } } });
    const same = await t.svc.request('POST', '/v1/jobs', { kind: 'move', cloud: 'sim', server: 'app1', to: { cloud: 'sim' } });
    expect(same).toMatchObject({ status: 400, body: { error: { field: 'to.cloud' } } });
  });
});
