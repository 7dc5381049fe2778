import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, runnerHarness, type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type ServiceDouble, startServiceDouble } from '../../bench/lib/runner-doubles/service-double';
import { runTask, type TaskOutcome } from '../../runner/run-task';
import type { Task } from '../../shared/runner/protocol';
import { libguestfsForTests, makeTestImage, missingTools, qemuImg } from './support';

// Bad images with the real tools, each a clear task failure with its own code: the qemu-img
// checks catch garbage, corruption, a backing file and an image SLC6 cannot get (no appliance
// boot needed); virt-sysprep finds no OS in a blank disk; a cleaning that did not happen (a
// virt-sysprep that exits 0 and does nothing) is caught by the verify pass; and a stop during
// a real virt-sysprep kills it and everything it started.

const skip = missingTools();
if (skip) console.warn(skip);

let env: SimEnv;
let service: ServiceDouble;
let h: Harness;
let good: Buffer;

beforeAll(async () => {
  if (skip) return;
  env = await startSimEnv();
  service = await startServiceDouble();
  h = await runnerHarness(env, service, { libguestfs: libguestfsForTests(), timeouts: { sysprep: '20m', verify: '20m' } });
  good = makeTestImage(join(env.dir, 'good.qcow2'));
});
afterAll(async () => {
  if (skip) return;
  await h.close();
  await service.close();
  await env.close();
});

async function claimed(bytes: Buffer, over: Parameters<typeof taskFor>[1] = {}, harness = h): Promise<Task> {
  const task = taskFor(await uploadImage(env.source, bytes), over);
  service.enqueue(task);
  expect((await harness.deps.service.claim({ runner: 'test', waitSeconds: 0 }))?.id).toBe(task.id);
  return task;
}

function failure(task: Task): { code: string; message: string; retryable: boolean; phase: string } {
  return service.calls.find((c) => c.taskId === task.id && c.route === 'fail')!.body as never;
}

const never = () => new AbortController().signal;
const taskDirs = () => readdirSync(h.scratchDir).filter((n) => n.startsWith('task-'));

function variant(name: string, edit: (file: string) => void): Buffer {
  const file = join(env.dir, name);
  writeFileSync(file, good);
  edit(file);
  return readFileSync(file);
}

describe.skipIf(!!skip)('bad images with the real tools', () => {
  it('garbage declared qcow2: format_mismatch (qemu-img info says raw)', async () => {
    const task = await claimed(randomBytes(1024 * 1024));
    expect(await runTask(task, h.deps, never())).toEqual({ outcome: 'failed', code: 'format_mismatch', retryable: false });
    expect(failure(task)).toMatchObject({ phase: 'check', message: expect.stringContaining('the task says qcow2, qemu-img sees raw') });
  });

  it('a corrupt qcow2 (L1 table past the end): corrupt_image from qemu-img check', async () => {
    const bytes = variant('bad-l1.qcow2', (f) => {
      const fd = readFileSync(f);
      Buffer.from([0, 0, 0, 0x7f, 0, 0, 0, 0]).copy(fd, 40);
      writeFileSync(f, fd);
    });
    const task = await claimed(bytes);
    expect(await runTask(task, h.deps, never())).toEqual({ outcome: 'failed', code: 'corrupt_image', retryable: false });
    expect(failure(task).message).toMatch(/qemu-img check: the image is corrupt: .*errors were found on the image/);
  });

  it('an overlay with a backing file: backing_file', async () => {
    const file = join(env.dir, 'overlay.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', '/nonexistent/base.qcow2', '-F', 'qcow2', file, '256M']);
    const task = await claimed(readFileSync(file));
    expect(await runTask(task, h.deps, never())).toEqual({ outcome: 'failed', code: 'backing_file', retryable: false });
    expect(failure(task).message).toContain('/nonexistent/base.qcow2');
  });

  it('an SLC6 task on an image compat 0.10 cannot express: cannot_downgrade', async () => {
    const file = join(env.dir, 'extended-l2.qcow2');
    qemuImg('convert', '-O', 'qcow2', '-o', 'extended_l2=on', join(env.dir, 'good.qcow2'), file);
    const task = await claimed(readFileSync(file), { clean: { slc6: true } });
    expect(await runTask(task, h.deps, never())).toEqual({ outcome: 'failed', code: 'cannot_downgrade', retryable: false });
    expect(failure(task)).toMatchObject({ phase: 'amend', message: expect.stringContaining('Cannot downgrade an image with incompatible features') });
  });

  it('no OS, a cleaning that did not happen, and a stop mid-virt-sysprep (side by side)', async () => {
    const blankFile = join(env.dir, 'blank.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', blankFile, '256M');
    const noOs = await claimed(readFileSync(blankFile));
    // a virt-sysprep that exits 0 having done nothing: only the verify pass can tell
    const hNoop = await runnerHarness(env, service, { libguestfs: libguestfsForTests(), tools: { virtSysprep: 'true' }, timeouts: { verify: '20m' } });
    const noop = await claimed(good, {}, hNoop);
    const stopped = await claimed(good);
    const stopping = new AbortController();
    const runs: Array<Promise<TaskOutcome>> = [runTask(noOs, h.deps, never()), runTask(noop, hNoop.deps, never()), runTask(stopped, h.deps, stopping.signal)];
    await service.waitFor((c) => c.taskId === stopped.id && c.route === 'heartbeat' && (c.body as { phase: string }).phase === 'sysprep', 120_000);
    // let virt-sysprep get its appliance going, then stop the runner
    await new Promise((ok) => setTimeout(ok, 3000));
    stopping.abort();
    const [a, b, c] = await Promise.all(runs);
    await hNoop.close();
    expect(a).toEqual({ outcome: 'failed', code: 'no_os', retryable: false });
    expect(failure(noOs)).toMatchObject({ phase: 'sysprep', message: expect.stringContaining('no operating systems were found') });
    expect(b).toEqual({ outcome: 'failed', code: 'cleaning_not_verified', retryable: false });
    expect(failure(noop)).toMatchObject({
      phase: 'verify',
      message: expect.stringMatching(/\/etc\/krb5\.keytab still present.*machine-id is 33 bytes.*HWADDR/),
    });
    expect(c).toEqual({ outcome: 'failed', code: 'runner_stopping', retryable: true });
    expect(failure(stopped)).toMatchObject({ phase: 'sysprep', retryable: true });
    // nothing the stopped virt-sysprep started (qemu, the appliance) outlives it
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.includes(h.scratchDir))).toEqual([]);
    expect(taskDirs()).toEqual([]);
    expect(readdirSync(hNoop.scratchDir).filter((n) => n.startsWith('task-'))).toEqual([]);
  });
});
