import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTools, fakeTools } from '../../bench/lib/runner-doubles/fake-tools';
import { fakeQcow2, type Harness, runnerHarness, type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type ServiceDouble, startServiceDouble } from '../../bench/lib/runner-doubles/service-double';
import { runTask } from '../../runner/run-task';
import { imageProperty } from '../../shared/openstack/image-schemas';
import type { Task } from '../../shared/runner/protocol';

// One task through the whole runner (heartbeats, pipeline, report) against the simulator and
// the service double, with test doubles of the three tools: every way a task can end, and
// the scratch directory empty after each.

let env: SimEnv;
let service: ServiceDouble;
let tools: FakeTools;
let h: Harness;
const never = new AbortController().signal;

beforeAll(async () => {
  env = await startSimEnv();
  service = await startServiceDouble();
  tools = fakeTools();
});
afterAll(async () => {
  await service.close();
  await env.close();
  tools.remove();
});
beforeEach(async () => {
  tools.set({});
  h = await runnerHarness(env, service, { tools: tools.tools });
});
afterEach(async () => {
  await h.close();
});

/** virt-sysprep's double is running (its node process has started and logged its pid). */
async function sysprepRunning(task: Task): Promise<void> {
  await service.waitFor((c) => c.taskId === task.id && c.route === 'heartbeat' && (c.body as { phase: string }).phase === 'sysprep');
  for (let i = 0; i < 400 && tools.pids('virt-sysprep').length === 0; i++) await new Promise((ok) => setTimeout(ok, 25));
}
const taskDirs = () => readdirSync(h.scratchDir).filter((n) => n.startsWith('task-'));
const callsOf = (task: Task) => service.calls.filter((c) => c.taskId === task.id);

async function claimed(over: Parameters<typeof taskFor>[1] = {}): Promise<Task> {
  const image = await uploadImage(env.source, fakeQcow2(300_000));
  const task = taskFor(image, over);
  // the double only accepts reports under a lease it handed out
  service.enqueue(task);
  const got = await h.deps.service.claim({ runner: 'test', waitSeconds: 0 });
  expect(got?.id).toBe(task.id);
  return task;
}

describe('a task from claim to report', () => {
  it('completes: the image is in the target project, tagged and verified, and the report carries its digests', async () => {
    tools.set({ checkRc: 3 }); // leaked clusters: a warning, not a failure
    const task = await claimed({ clean: { mode: 'hostname', hostname: 'new-name' }, target: { properties: { purpose: 'rename' } } });
    const end = await runTask(task, h.deps, never);
    expect(end).toMatchObject({ outcome: 'completed', reused: false });
    const complete = callsOf(task).find((c) => c.route === 'complete')!;
    const body = complete.body as { imageId: string; bytes: number; verified: { source: { sha512: string }; target: { sha512: string } }; warnings: string[] };
    expect(body.bytes).toBe(300_000);
    expect(body.warnings).toEqual([expect.stringMatching(/^qemu-img check found leaked clusters/)]);
    const image = await env.target.image.get(body.imageId);
    expect(image.status).toBe('active');
    expect(body.verified.target.sha512).toBe(image.os_hash_value);
    expect(body.verified.source.sha512).toBe(task.source.hashValue);
    for (const [k, v] of Object.entries({
      os: 'LINUX',
      purpose: 'rename',
      snapflow_job: task.jobId,
      snapflow_task: task.id,
      snapflow_source_image: task.source.imageId,
      snapflow_source_server: 'server-1',
      snapflow_verified: `sha512:${image.os_hash_value}`,
    }))
      expect(imageProperty(image, k), k).toBe(v);
    // hostname mode: the limited set plus net-hostname, the deletes, the new /etc/hostname
    const sysprep = tools.runs().find((r) => r[0] === 'virt-sysprep')!;
    expect(sysprep.slice(1, 5)).toEqual(['--format', 'qcow2', '--add', expect.stringMatching(/\/image\.qcow2$/)]);
    expect(sysprep.slice(5)).toEqual([
      '--enable',
      'udev-persistent-net,net-hwaddr,net-hostname,customize',
      '--delete',
      '/etc/krb5.keytab',
      '--delete',
      '/var/lib/cern-private-cloud-addons/state',
      '--write',
      '/etc/hostname:new-name\n',
    ]);
    // a heartbeat at each phase change, with the byte total of the transfers
    const beats = callsOf(task)
      .filter((c) => c.route === 'heartbeat')
      .map((c) => c.body as { phase: string; bytesTotal: number });
    expect(beats.map((b) => b.phase)).toEqual(expect.arrayContaining(['download', 'check', 'sysprep', 'verify', 'upload']));
    expect(beats.find((b) => b.phase === 'download')!.bytesTotal).toBe(300_000);
    expect(taskDirs()).toEqual([]);
    // neither the runner token nor the lease token reaches the logs
    const text = h.logs.join('\n');
    expect(text).toContain('task completed');
    expect(text).not.toContain(service.token);
    expect(text).not.toContain(task.lease.token);
  });

  it('fails a corrupt image as corrupt_image, permanent, in phase check', async () => {
    tools.set({ checkRc: 2 });
    const task = await claimed();
    expect(await runTask(task, h.deps, never)).toEqual({ outcome: 'failed', code: 'corrupt_image', retryable: false });
    expect(callsOf(task).find((c) => c.route === 'fail')!.body).toMatchObject({ code: 'corrupt_image', retryable: false, phase: 'check' });
    expect(taskDirs()).toEqual([]);
  });

  it('fails a cleaning the verify pass cannot confirm, whatever virt-sysprep returned', async () => {
    tools.set({ leftover: '/etc/krb5.keytab' });
    const task = await claimed();
    expect(await runTask(task, h.deps, never)).toMatchObject({ outcome: 'failed', code: 'cleaning_not_verified' });
    expect((callsOf(task).find((c) => c.route === 'fail')!.body as { message: string }).message).toContain('/etc/krb5.keytab still present');
    // nothing was uploaded
    expect(await env.target.image.listAll({ filters: { snapflow_task: task.id } })).toEqual([]);
    expect(taskDirs()).toEqual([]);
  });

  it('refuses a delete path outside the whitelist before downloading anything', async () => {
    const task = await claimed({ clean: { deletePaths: ['/etc/shadow'] } });
    const gets = env.sim.counters.get('GET /v2/images/{id}/file');
    expect(await runTask(task, h.deps, never)).toMatchObject({ outcome: 'failed', code: 'path_not_allowed', retryable: false });
    expect(env.sim.counters.get('GET /v2/images/{id}/file')).toBe(gets);
    expect(tools.runs().filter((r) => r[0] === 'virt-sysprep')).toEqual([]);
  });

  it('stops on cancel: the tool is killed, the task failed as cancelled, the scratch directory emptied', async () => {
    tools.set({ sysprepMs: 60_000 });
    const task = await claimed({ ttlSeconds: 3 });
    const run = runTask(task, h.deps, never);
    await sysprepRunning(task);
    service.cancel(task.id);
    expect(await run).toEqual({ outcome: 'failed', code: 'cancelled', retryable: false });
    expect(tools.pids('virt-sysprep').map((p) => tools.running(p))).toEqual([false]);
    expect(callsOf(task).find((c) => c.route === 'fail')!.body).toMatchObject({ code: 'cancelled', phase: 'sysprep' });
    expect(taskDirs()).toEqual([]);
  });

  it('stops without a report when another runner took the lease over', async () => {
    tools.set({ sysprepMs: 60_000 });
    const task = await claimed({ ttlSeconds: 3 });
    const run = runTask(task, h.deps, never);
    await sysprepRunning(task);
    service.takeOver(task.id);
    expect(await run).toEqual({ outcome: 'lease_lost' });
    expect(tools.pids('virt-sysprep').map((p) => tools.running(p))).toEqual([false]);
    expect(callsOf(task).filter((c) => c.route === 'complete' || c.route === 'fail')).toEqual([]);
    expect(taskDirs()).toEqual([]);
  });

  it('releases the lease when the runner stops (SIGTERM): runner_stopping, retryable', async () => {
    tools.set({ sysprepMs: 60_000 });
    const task = await claimed();
    const stopping = new AbortController();
    const run = runTask(task, h.deps, stopping.signal);
    await sysprepRunning(task);
    stopping.abort();
    expect(await run).toEqual({ outcome: 'failed', code: 'runner_stopping', retryable: true });
    expect(tools.pids('virt-sysprep').map((p) => tools.running(p))).toEqual([false]);
    expect(callsOf(task).find((c) => c.route === 'fail')!.body).toMatchObject({ code: 'runner_stopping', retryable: true, phase: 'sysprep' });
    expect(taskDirs()).toEqual([]);
  });

  it('checks the free space before a byte is written', async () => {
    await h.close();
    h = await runnerHarness(env, service, { tools: tools.tools, headroom: { minBytes: '1GiB', fraction: 0.1 } }, async () => 512 * 1024 ** 2);
    const task = await claimed();
    const gets = env.sim.counters.get('GET /v2/images/{id}/file');
    expect(await runTask(task, h.deps, never)).toEqual({ outcome: 'failed', code: 'insufficient_space', retryable: false });
    expect((callsOf(task).find((c) => c.route === 'fail')!.body as { message: string }).message).toMatch(/needs 1\.00 GiB, 0\.50 GiB free/);
    expect(env.sim.counters.get('GET /v2/images/{id}/file')).toBe(gets);
  });
});
