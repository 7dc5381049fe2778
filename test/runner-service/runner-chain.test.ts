// The whole chain without the lab: the real service (composeService on SQLite, served over
// HTTP) runs a job whose clean-image step queues a task; a real `snapflow-runner` process
// claims it, downloads the image from the simulator, runs the tool doubles (the real tools
// are the sysprep and lab tiers'), uploads into `sim-dest` and reports. Also: a cancel seen
// on the runner's heartbeat, and a runner killed with -9 in the middle of virt-sysprep,
// replaced by a new one that takes the task over after the lease and ends with exactly one
// target image. The scratch directory is empty afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CLEAN_KIND, type CleanParams, cleanWorkflow } from '../../bench/lib/clean-workflow';
import { type FakeTools, fakeTools } from '../../bench/lib/runner-doubles/fake-tools';
import { fakeQcow2, type SimEnv, startSimEnv, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { imageProperty } from '../../shared/openstack/image-schemas';

const BIN = fileURLToPath(new URL('../../runner/bin/snapflow-runner.mjs', import.meta.url));
const TOKEN = 'chain-runner-token-0123456789';

let env: SimEnv;
let svc: InProcessService;
let tools: FakeTools;
let scratchDir: string;
let configFile: string;
let runner: ChildProcess;

function startRunner(): ChildProcess {
  const p = spawn(process.execPath, [BIN, '--config', configFile], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: TOKEN, SNAPFLOW_RUNNER_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return p;
}

function exited(p: ChildProcess, ms = 30_000): Promise<number | null> {
  return new Promise((ok, ko) => {
    if (p.exitCode !== null || p.signalCode !== null) return ok(p.exitCode);
    const t = setTimeout(() => ko(new Error('the runner did not exit in time')), ms);
    p.once('exit', (code) => {
      clearTimeout(t);
      ok(code);
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function submit(over: Partial<CleanParams> = {}): Promise<{ jobId: string; imageId: string }> {
  const image = await uploadImage(env.source, fakeQcow2(300_000));
  const params: CleanParams = { cloud: 'sim', server: 'web', imageId: image.id, targetCloud: 'sim-dest', targetName: 'web-clean', ...over };
  return { jobId: (await svc.service.engine.submit(CLEAN_KIND, params)).job.id, imageId: image.id };
}

const phaseOf = async (jobId: string) => (await svc.store.getJob(jobId))?.progress?.phase;
const targetImagesOf = async (jobId: string) => (await env.target.image.listAll()).filter((i) => imageProperty(i, 'snapflow_job') === jobId);

beforeAll(async () => {
  env = await startSimEnv();
  tools = fakeTools();
  svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: env.cloudsFile },
    cloudNames: ['sim', 'sim-dest'],
    mode: 'simulator',
    configFile: { runner: { leaseTtl: '3s' } },
    tokens: [{ name: 'runner', sha256: await sha256Hex(TOKEN), scopes: ['runner'], targets: [] }],
    workflows: (deps, r) => [cleanWorkflow(deps, r)],
    claimRecheckMs: 200,
  });
  scratchDir = join(env.dir, 'scratch');
  configFile = join(env.dir, 'runner.yaml');
  writeFileSync(
    configFile,
    stringify({
      serviceUrl: await svc.listen(),
      runnerId: 'chain-runner',
      scratchDir,
      cloudsFile: env.cloudsFile,
      claimWaitSeconds: 5,
      tools: tools.tools,
      download: { resumeAttempts: 1, resumeDelay: '100ms' },
    }),
  );
  runner = startRunner();
}, 60_000);

afterAll(async () => {
  if (runner && runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
  for (const pid of tools?.pids('virt-sysprep') ?? []) if (tools.running(pid)) process.kill(pid, 'SIGKILL');
  await svc?.close();
  await env?.close();
  tools?.remove();
});

describe('service + snapflow-runner process + simulator', () => {
  it('a job hands its image to the runner, which cleans and uploads it; the step ends with the image', async () => {
    tools.set({ sysprepMs: 100 });
    const { jobId, imageId } = await submit();
    const job = await svc.wait(jobId, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const [image] = await targetImagesOf(jobId);
    expect(job.result).toMatchObject({ imageId: image!.id, warnings: [] });
    expect(image).toMatchObject({ status: 'active', name: 'web-clean', disk_format: 'qcow2' });
    expect(imageProperty(image!, 'snapflow_source_image')).toBe(imageId);
    const types = (await svc.events(jobId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['runner.claimed', 'runner.done']));
    expect(readdirSync(scratchDir)).toEqual(['runner.pid']);
  });

  it('a cancel reaches the runner on its next heartbeat: it stops virt-sysprep, cleans up, and the job ends cancelled', async () => {
    tools.set({ sysprepMs: 120_000 });
    const { jobId, imageId } = await submit({ targetName: 'web-cancelled' });
    await until('the runner to be in sysprep', async () => (await phaseOf(jobId)) === 'sysprep');
    expect((await svc.request('POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(202);
    expect((await svc.wait(jobId, 30_000)).state).toBe('cancelled');
    // the runner's `fail` after it stopped: recorded on the cancelled task
    const task = await until('the runner to report the cancel', async () => {
      const t = await svc.store.findRunnerTask(jobId, 'clean-image', `sim/${imageId}`);
      return t?.error ? t : null;
    });
    expect(task).toMatchObject({ state: 'cancelled', error: { code: 'cancelled', phase: 'sysprep' } });
    const [pid] = tools.pids('virt-sysprep');
    await until('virt-sysprep to be stopped', async () => !tools.running(pid!));
    expect(readdirSync(scratchDir)).toEqual(['runner.pid']);
    expect(await targetImagesOf(jobId)).toEqual([]);
  });

  it('a runner killed with -9 during virt-sysprep: a new runner takes the task over after the lease; one target image, nothing left behind', async () => {
    tools.set({ sysprepMs: 120_000 });
    const { jobId } = await submit({ targetName: 'web-recovered' });
    await until('the runner to be in sysprep', async () => (await phaseOf(jobId)) === 'sysprep');
    runner.kill('SIGKILL');
    await exited(runner);
    // the tool runs in its own process group and outlives the runner: this test's own process
    for (const pid of tools.pids('virt-sysprep')) if (tools.running(pid)) process.kill(pid, 'SIGKILL');
    expect(readdirSync(scratchDir).filter((f) => f.startsWith('task-'))).toHaveLength(1);

    tools.set({ sysprepMs: 100 });
    runner = startRunner();
    const job = await svc.wait(jobId, 60_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const images = await targetImagesOf(jobId);
    expect(images.map((i) => i.id)).toEqual([job.result?.imageId]);
    const claims = (await svc.events(jobId)).filter((e) => e.type.startsWith('runner.') && e.type.endsWith('claimed'));
    expect(claims.map((e) => e.type)).toEqual(['runner.claimed', 'runner.reclaimed']);

    runner.kill('SIGTERM');
    expect(await exited(runner)).toBe(0);
    expect(readdirSync(scratchDir)).toEqual([]);
  });
});
