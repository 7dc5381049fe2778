// The runner routes through app.request() on the real service (composeService, SQLite, the
// simulator), with the clean-image step queueing the tasks: bodies validated with the
// protocol's schemas, the long-polled claim woken by an enqueue in this process, progress on
// the job, the reports ending the step at once, cancel, lease_lost, targets, retries.
// The step's polls are minutes apart, so that only a wake-up, never a poll, can end its wait here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN_KIND, type CleanParams, cleanWorkflow } from '../../bench/lib/clean-workflow';
import { type SimEnv, startSimEnv, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { LeaseLost, Task } from '../../shared/runner/protocol';

const RUNNER = 'routes-runner-token-0123456789';
const NARROW = 'routes-narrow-token-0123456789';

let env: SimEnv;
let svc: InProcessService;
let imageId: string;

async function call(token: string, path: string, body?: unknown, init: { raw?: string; contentType?: string; signal?: AbortSignal } = {}) {
  const res = await svc.service.app.request(path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': init.contentType ?? 'application/json' },
    body: init.raw ?? JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

const claim = (waitSeconds = 0, token = RUNNER, signal?: AbortSignal) =>
  call(token, '/v1/runner/claim', { runner: 'routes-test', waitSeconds }, signal ? { signal } : {});
const beat = (t: Task, phase = 'download', bytesDone = 0, bytesTotal = 0) =>
  call(RUNNER, `/v1/runner/tasks/${t.id}/heartbeat`, { leaseToken: t.lease.token, phase, bytesDone, bytesTotal });
const complete = (t: Task, imageId = 'cleaned-1') =>
  call(RUNNER, `/v1/runner/tasks/${t.id}/complete`, {
    leaseToken: t.lease.token,
    imageId,
    bytes: 42,
    verified: { source: { sha512: 'ab' }, target: { sha512: 'cd' } },
    warnings: [],
  });
const failTask = (t: Task, code: string, retryable: boolean) =>
  call(RUNNER, `/v1/runner/tasks/${t.id}/fail`, { leaseToken: t.lease.token, code, message: `${code}: what the runner saw`, retryable, phase: 'download' });

async function submit(over: Partial<CleanParams> = {}): Promise<string> {
  const params: CleanParams = { cloud: 'sim', server: 'web', imageId, targetCloud: 'sim-dest', targetName: 'web-clean', ...over };
  return (await svc.service.engine.submit(CLEAN_KIND, params)).job.id;
}

/** Polls `fn` until it answers (a deadline, no sleeping on a fixed time). */
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  env = await startSimEnv();
  imageId = (await uploadImage(env.source, Buffer.from('a qcow2 stand-in'))).id;
  svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: env.cloudsFile },
    cloudNames: ['sim', 'sim-dest'],
    mode: 'simulator',
    configFile: { runner: { leaseTtl: '3s', maxAttempts: 2 } },
    tokens: [
      { name: 'runner', sha256: await sha256Hex(RUNNER), scopes: ['runner'], targets: [] },
      { name: 'narrow-runner', sha256: await sha256Hex(NARROW), scopes: ['runner'], targets: ['sim/*/other-*', 'sim-dest/**'] },
    ],
    // the step's polls take minutes: a job only moves on at once when a report wakes it
    workflows: (deps, runner) => [cleanWorkflow(deps, runner, { wait: { baseMs: 120_000, maxMs: 120_000 } })],
    // far beyond any claim's wait: a claim only gets a task at once through the in-process wake-up
    claimRecheckMs: 120_000,
  });
}, 60_000);

afterAll(async () => {
  await svc?.close();
  await env?.close();
});

describe('runner routes', () => {
  it('validate bodies with the protocol schemas: 400 naming the field, 415 for anything but JSON', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/v1/runner/claim', { runner: 'r', waitSeconds: 31 }, 'waitSeconds'],
      ['/v1/runner/claim', { runner: 'r', waitSeconds: 1, extra: true }, 'extra'],
      ['/v1/runner/claim', { waitSeconds: 1 }, 'runner'],
      ['/v1/runner/tasks/t1/heartbeat', { leaseToken: 'x', phase: 'resting', bytesDone: 0, bytesTotal: 0 }, 'phase'],
      ['/v1/runner/tasks/t1/complete', { leaseToken: 'x', bytes: 1, verified: { source: {}, target: {} }, warnings: [] }, 'imageId'],
      ['/v1/runner/tasks/t1/fail', { leaseToken: 'x', code: 'Not Snake', message: 'm', retryable: true, phase: 'upload' }, 'code'],
    ];
    for (const [path, body, field] of cases) {
      const r = await call(RUNNER, path, body);
      expect([path, r.status, r.body.error.field]).toEqual([path, 400, field]);
    }
    expect((await call(RUNNER, '/v1/runner/claim', undefined, { raw: 'runner=r', contentType: 'text/plain' })).status).toBe(415);
    expect((await call(RUNNER, '/v1/runner/claim', undefined, { raw: '[1]' })).body.error.field).toBe('body');
  });

  it('a waiting claim gets the task the step queues in this process; with nothing queued it answers 204 and leaves no watcher', async () => {
    expect((await claim(0)).status).toBe(204);
    const waiting = claim(25);
    await until('the claim to wait', () => svc.service.runner.signal.watching() === 1);
    const jobId = await submit();
    const got = await waiting;
    expect(got.status).toBe(200);
    const task = Task.parse(got.body);
    expect(task).toMatchObject({
      jobId,
      attempt: 1,
      lease: { ttlSeconds: 3 },
      source: { cloud: 'sim', imageId, diskFormat: 'qcow2', hashAlgo: 'sha512', serverId: null },
      clean: { mode: 'full', deletePaths: [], hostname: null, slc6: false, os: 'LINUX' },
      target: { cloud: 'sim-dest', name: 'web-clean', diskFormat: 'qcow2', containerFormat: 'bare', visibility: 'private' },
    });
    expect(svc.service.runner.signal.watching()).toBe(0);

    const gone = new AbortController();
    const abandoned = claim(25, RUNNER, gone.signal).catch(() => null);
    await until('the second claim to wait', () => svc.service.runner.signal.watching() === 1);
    gone.abort();
    await abandoned;
    await until('the abandoned claim to stop watching', () => svc.service.runner.signal.watching() === 0);
    await svc.service.engine.cancel(jobId);
  });

  it("shows the runner's progress on the job; complete ends the step at once with the runner's result", async () => {
    const jobId = await submit({ targetName: 'web-progress' });
    const task = Task.parse((await claim(10)).body);
    const hb = await beat(task, 'download', 250, 1000);
    expect(hb.status).toBe(200);
    expect(hb.body).toMatchObject({ cancel: false, lease: { ttlSeconds: 3 } });
    const job = await svc.request<{ state: string; step: string; progress: unknown }>('GET', `/v1/jobs/${jobId}`);
    expect(job.body).toMatchObject({ state: 'waiting', step: 'clean-image', progress: { phase: 'download', done: 250, total: 1000 } });

    expect(await complete(task)).toEqual({ status: 200, body: { taskId: task.id, state: 'done' } });
    const end = await svc.wait(jobId, 20_000);
    expect(end).toMatchObject({
      state: 'succeeded',
      result: { imageId: 'cleaned-1', bytes: 42, digests: { source: { sha512: 'ab' }, target: { sha512: 'cd' } }, warnings: [] },
    });
    const types = (await svc.events(jobId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['runner.claimed', 'runner.done', 'step.done']));
    expect(types.indexOf('runner.done')).toBeLessThan(types.lastIndexOf('step.done'));
    // the same complete again (its answer got lost): the same answer
    expect((await complete(task)).status).toBe(200);
  });

  it('answers 409 lease_lost to a report under a lease it did not hand out, and changes nothing', async () => {
    const jobId = await submit({ targetName: 'web-lost' });
    const task = Task.parse((await claim(10)).body);
    const before = await svc.store.getRunnerTask(task.id);
    const forged = { ...task, lease: { ...task.lease, token: 'a-lease-someone-else-holds' } };
    for (const r of [await beat(forged), await complete(forged), await failTask(forged, 'upload_failed', true)]) {
      expect(r.status).toBe(409);
      expect(LeaseLost.parse(r.body).error.code).toBe('lease_lost');
    }
    expect(await svc.store.getRunnerTask(task.id)).toEqual(before);
    await svc.service.engine.cancel(jobId);
  });

  it('cancel: the runner hears it on its next heartbeat, its fail is taken, and the job ends cancelled with its task', async () => {
    const jobId = await submit({ targetName: 'web-cancel' });
    const task = Task.parse((await claim(10)).body);
    expect((await svc.request('POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(202);
    expect((await beat(task, 'sysprep')).body).toMatchObject({ cancel: true });
    expect(await failTask(task, 'cancelled', false)).toEqual({ status: 200, body: { taskId: task.id, state: 'cancelled' } });
    expect((await svc.wait(jobId, 20_000)).state).toBe('cancelled');
    expect(await svc.store.getRunnerTask(task.id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled', phase: 'download' } });
    expect((await svc.events(jobId)).map((e) => e.step)).toContain('cancel-runner-tasks');
  });

  it('a runner token limited to targets does not get tasks outside them', async () => {
    const jobId = await submit({ targetName: 'web-targets' });
    await until('the task to be queued', async () => (await svc.store.listClaimableRunnerTasks(Date.now(), 10)).length > 0);
    expect((await claim(0, NARROW)).status).toBe(204);
    const task = Task.parse((await claim(0)).body);
    expect(task.jobId).toBe(jobId);
    await svc.service.engine.cancel(jobId);
  });

  it("retryable failures queue the task again up to runner.maxAttempts, then the job fails with the runner's code and message", async () => {
    const jobId = await submit({ targetName: 'web-retry' });
    const first = Task.parse((await claim(10)).body);
    expect((await failTask(first, 'download_failed', true)).body).toEqual({ taskId: first.id, state: 'queued' });
    const second = Task.parse((await claim(10)).body);
    expect(second).toMatchObject({ id: first.id, attempt: 2 });
    expect((await failTask(second, 'download_failed', true)).body).toEqual({ taskId: first.id, state: 'failed' });
    const end = await svc.wait(jobId, 20_000);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'download_failed', step: 'clean-image' });
    expect(end.error?.message).toContain('download_failed: what the runner saw');

    const permanent = await submit({ targetName: 'web-corrupt' });
    const t = Task.parse((await claim(10)).body);
    expect((await failTask(t, 'corrupt_image', false)).body.state).toBe('failed');
    expect((await svc.wait(permanent, 20_000)).error).toMatchObject({ code: 'corrupt_image' });
  });
});
