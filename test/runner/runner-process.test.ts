import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type FakeTools, fakeTools } from '../../bench/lib/runner-doubles/fake-tools';
import { fakeQcow2, type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type ServiceDouble, startServiceDouble } from '../../bench/lib/runner-doubles/service-double';

// The `snapflow-runner` process itself (its bin launcher, from the sources) against the
// service double and the simulator: it removes what a crashed run left in the scratch
// directory, runs two tasks at once with concurrency 2, refuses a second runner on the same
// scratch directory, and on SIGTERM stops its task, cleans up, releases the lease and exits 0.

const BIN = fileURLToPath(new URL('../../runner/bin/snapflow-runner.mjs', import.meta.url));
let env: SimEnv;
let service: ServiceDouble;
let tools: FakeTools;
let runner: ChildProcess;
let stdout = '';
let scratchDir = '';
let configFile = '';

function start(): ChildProcess {
  return spawn(process.execPath, [BIN, '--config', configFile], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: service.token, SNAPFLOW_RUNNER_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(p: ChildProcess, ms = 30_000): Promise<number | null> {
  return new Promise((ok, ko) => {
    if (p.exitCode !== null) return ok(p.exitCode);
    const t = setTimeout(() => ko(new Error('the runner did not exit in time')), ms);
    p.once('exit', (code) => {
      clearTimeout(t);
      ok(code);
    });
  });
}

beforeAll(async () => {
  env = await startSimEnv();
  service = await startServiceDouble({ ttlSeconds: 6 });
  tools = fakeTools();
  scratchDir = join(env.dir, 'scratch');
  // what a runner killed with -9 leaves behind
  mkdirSync(join(scratchDir, 'task-crashed-1', 'tmp'), { recursive: true });
  writeFileSync(join(scratchDir, 'task-crashed-1', 'image.qcow2'), 'half a download');
  configFile = join(env.dir, 'runner.yaml');
  writeFileSync(
    configFile,
    stringify({
      serviceUrl: service.url,
      runnerId: 'test-runner',
      scratchDir,
      cloudsFile: env.cloudsFile,
      concurrency: 2,
      claimWaitSeconds: 2,
      tools: tools.tools,
      download: { resumeAttempts: 1, resumeDelay: '100ms' },
    }),
  );
  runner = start();
  runner.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
});
afterAll(async () => {
  if (runner.exitCode === null) runner.kill('SIGKILL');
  await service.close();
  await env.close();
  tools.remove();
});

describe('the snapflow-runner process', () => {
  it('cleans the stale task directories, then runs two tasks side by side', async () => {
    tools.set({ sysprepMs: 1500 });
    const a = taskFor(await uploadImage(env.source, fakeQcow2(100_000)));
    const b = taskFor(await uploadImage(env.source, fakeQcow2(120_000)));
    service.enqueue(a);
    service.enqueue(b);
    const doneA = await service.waitFor((c) => c.taskId === a.id && c.route === 'complete', 60_000);
    const doneB = await service.waitFor((c) => c.taskId === b.id && c.route === 'complete', 60_000);
    expect([doneA.status, doneB.status]).toEqual([200, 200]);
    // both were claimed before either finished: two workers
    const claimed = service.calls.filter((c) => c.route === 'claim' && c.status === 200).map((c) => c.at);
    expect(Math.max(...claimed)).toBeLessThan(Math.min(doneA.at, doneB.at));
    expect(existsSync(join(scratchDir, 'task-crashed-1'))).toBe(false);
    expect(readdirSync(scratchDir)).toEqual(['runner.pid']);
  });

  it('refuses a second runner on the same scratch directory', async () => {
    const second = start();
    let err = '';
    second.stdout!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    expect(await exited(second)).toBe(1);
    expect(err).toContain(`another runner (pid ${runner.pid}) uses this scratch directory`);
  });

  it('on SIGTERM stops its task, removes its files, releases the lease and exits 0', async () => {
    tools.set({ sysprepMs: 120_000 });
    const t = taskFor(await uploadImage(env.source, fakeQcow2(100_000)));
    service.enqueue(t);
    await service.waitFor((c) => c.taskId === t.id && c.route === 'heartbeat' && (c.body as { phase: string }).phase === 'sysprep');
    runner.kill('SIGTERM');
    expect(await exited(runner)).toBe(0);
    const fail = service.calls.find((c) => c.taskId === t.id && c.route === 'fail')!;
    expect(fail.body).toMatchObject({ code: 'runner_stopping', retryable: true, phase: 'sysprep' });
    expect(fail.status).toBe(200);
    expect(readdirSync(scratchDir)).toEqual([]);
    // JSON lines, without the token or a lease token
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'removed task directories a crashed run left behind',
        'runner started',
        'task completed',
        'stopping: releasing running tasks',
        'task failed',
        'runner stopped',
      ]),
    );
    expect(stdout).not.toContain(service.token);
    expect(stdout).not.toContain(t.lease.token);
  });
});
