// The job store contract, runner tasks: enqueue idempotency, atomic claims, lease expiry and
// re-claim, refused late reports that change nothing, cancel seen on the heartbeat, retries
// bounded by maxAttempts, and claims filtered by a runner token's targets. The lease rules
// live in the service (functions/runner-task-service.ts) on top of the store's guarded
// operations, so both are checked together here, on SQLite, PostgreSQL, D1 and the memory
// store. The database is shared by the whole suite: every test ends its jobs, which makes
// their tasks unclaimable, so a claim that is not filtered only ever sees its own test's.
import { expect, it } from 'vitest';
import { createRunnerTaskService } from '../../functions/runner-task-service';
import type { NewRunnerTask } from '../../shared/jobs/runner-task';
import type { Job, JobStore, RunnerTaskStore } from '../../shared/jobs/types';
import { ev, uid } from './store-contract-support';

export interface RunnerTaskContext {
  store(): JobStore & RunnerTaskStore;
  add(kind: string, extra?: Record<string, unknown>): Promise<Job>;
  later(): number;
}

const ALL = { name: 'runner', targets: [] as string[] };

export function newTask(jobId: string, over: Partial<NewRunnerTask> = {}): NewRunnerTask {
  const cloud = over.scopes?.[0]?.cloud ?? 'lab';
  return {
    id: `task-${uid()}`,
    jobId,
    step: 'clean-image',
    key: 'lab/img-1',
    source: {
      cloud,
      imageId: 'img-1',
      size: 1024,
      diskFormat: 'qcow2',
      hashAlgo: 'sha512',
      hashValue: 'ab'.repeat(64),
      checksum: 'cd'.repeat(16),
      virtualSize: 4096,
      serverId: 'srv-1',
    },
    clean: { mode: 'hostname', deletePaths: ['/etc/krb5.keytab'], hostname: 'web2', slc6: false, os: 'LINUX' },
    target: { cloud: 'lab-dest', name: 'web2-clean', diskFormat: 'qcow2', containerFormat: 'bare', visibility: 'private', properties: { purpose: 'contract' } },
    scopes: [
      { cloud, server: 'web' },
      { cloud: 'lab-dest', server: 'web2' },
    ],
    maxAttempts: 3,
    deadline: null,
    ...over,
  };
}

export function registerRunnerTaskContract(c: RunnerTaskContext): void {
  const store = () => c.store();
  /** A job asleep in its step (as while a runner works), for a whole hour. */
  async function waitingJob(): Promise<{ job: Job; t: number }> {
    const kind = `k-${uid()}`;
    const job = await c.add(kind);
    const t = c.later();
    await store().claim({ owner: 'engine', leaseMs: 60_000, kinds: [kind], now: t });
    expect(await store().commit(job.id, 'engine', { state: 'waiting', runAfter: t + 3_600_000 }, ev('step.wait'), t)).toBe(true);
    return { job, t };
  }
  /** Its tasks can no longer be claimed by anyone (see the header). */
  const finish = (job: Job) => store().requestCancel(job.id);
  const service = (clock: { t: number }, extra: { leaseMs?: number } = {}) => {
    const woken: string[] = [];
    let queued = 0;
    const svc = createRunnerTaskService({
      store: store(),
      leaseMs: extra.leaseMs ?? 1_000,
      now: () => clock.t,
      wakeJob: (id) => woken.push(id),
      onQueued: () => void queued++,
    });
    return { svc, woken, queued: () => queued };
  };
  /** A runner token that may only target this test's clouds. */
  const scoped = (cloud: string) => ({ name: 'runner', targets: [`${cloud}/**`, 'lab-dest/**'] });

  it('runner tasks: one task per (job, step, key), also when enqueues race', async () => {
    const job = await c.add(`k-${uid()}`);
    const spec = newTask(job.id);
    const first = await store().enqueueRunnerTask(spec, 1_000);
    expect(first.created).toBe(true);
    expect(first.task).toMatchObject({
      ...spec,
      state: 'queued',
      attempt: 0,
      failures: 0,
      leaseOwner: null,
      leaseTokenHash: null,
      leaseExpiresAt: null,
      phase: null,
      bytesDone: 0,
      bytesTotal: 0,
      result: null,
      error: null,
      createdAt: 1_000,
      claimedAt: null,
      finishedAt: null,
    });
    expect(await store().getRunnerTask(spec.id)).toEqual(first.task);
    expect(await store().findRunnerTask(job.id, spec.step, spec.key)).toEqual(first.task);
    expect(await store().enqueueRunnerTask({ ...spec, id: `task-${uid()}`, target: { ...spec.target, name: 'other' } })).toEqual({
      task: first.task,
      created: false,
    });
    expect(await store().getRunnerTask('no-such-task')).toBeNull();

    const raced = await Promise.all(Array.from({ length: 6 }, () => store().enqueueRunnerTask({ ...spec, id: `task-${uid()}`, key: 'raced' })));
    expect(raced.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(raced.map((r) => r.task.id)).size).toBe(1);
    await finish(job);
  });

  it('runner tasks: concurrent claims take each task once, oldest first, with a lease and an event', async () => {
    const { job, t } = await waitingJob();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await store().enqueueRunnerTask(newTask(job.id, { key: `k${i}` }))).task.id);
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store().claimRunnerTask({ runner: `r${i}`, leaseMs: 60_000, leaseTokenHash: `h${i}`, now: t, ids })),
    );
    const got = claims.filter((x) => x !== null);
    expect(got.map((x) => x.id).sort()).toEqual([...ids].sort());
    for (const task of got) {
      const i = task.leaseOwner!.slice(1);
      expect(task).toMatchObject({ state: 'leased', attempt: 1, leaseTokenHash: `h${i}`, leaseExpiresAt: t + 60_000, claimedAt: t });
    }
    expect(await store().claimRunnerTask({ runner: 'late', leaseMs: 60_000, leaseTokenHash: 'h', now: t, ids })).toBeNull();
    const events = (await store().listEvents(job.id)).filter((e) => e.type === 'runner.claimed');
    expect(events.map((e) => (e.data as { taskId: string }).taskId).sort()).toEqual([...ids].sort());

    const [a, b] = [newTask(job.id, { key: 'a' }), newTask(job.id, { key: 'b' })];
    await store().enqueueRunnerTask(a);
    await store().enqueueRunnerTask(b);
    expect((await store().claimRunnerTask({ runner: 'r', leaseMs: 1, leaseTokenHash: 'h', now: t, ids: [b.id, a.id] }))?.id).toBe(a.id);
    await finish(job);
  });

  it('runner tasks: an expired lease is claimed again; the old runner is refused and changes nothing; completion wakes the job', async () => {
    const { job, t } = await waitingJob();
    const cloud = `c-${uid()}`;
    const clock = { t };
    const { svc, woken } = service(clock);
    await store().enqueueRunnerTask(newTask(job.id, { scopes: [{ cloud, server: 'web' }] }));
    const a = (await svc.claim(scoped(cloud), 'runner-a'))!;
    expect(a).toMatchObject({ jobId: job.id, attempt: 1, lease: { ttlSeconds: 1, expiresAt: new Date(t + 1_000).toISOString() } });
    clock.t = t + 500;
    expect(await svc.claim(scoped(cloud), 'runner-b')).toBeNull();
    const beat = await svc.heartbeat(a.id, { leaseToken: a.lease.token, phase: 'download', bytesDone: 5, bytesTotal: 10 });
    expect(beat).toEqual({ ok: true, value: { cancel: false, lease: { expiresAt: new Date(t + 1_500).toISOString(), ttlSeconds: 1 } } });
    expect((await store().getJob(job.id))?.progress).toEqual({ phase: 'download', done: 5, total: 10 });
    // the service's start-up take-back of job leases leaves the runner's lease alone
    await store().revokeLeases({ kinds: [job.kind], now: clock.t });
    expect((await store().getRunnerTask(a.id))?.leaseExpiresAt).toBe(t + 1_500);

    clock.t = t + 1_600;
    const b = (await svc.claim(scoped(cloud), 'runner-b'))!;
    expect(b).toMatchObject({ id: a.id, attempt: 2 });
    expect(b.lease.token).not.toBe(a.lease.token);
    const types = (await store().listEvents(job.id)).filter((e) => e.type.startsWith('runner.'));
    expect(types.map((e) => [e.type, e.data?.previousOwner ?? null])).toEqual([
      ['runner.claimed', null],
      ['runner.reclaimed', 'runner-a'],
    ]);

    const before = { task: await store().getRunnerTask(a.id), job: await store().getJob(job.id), events: await store().listEvents(job.id) };
    const done = { imageId: 'img-a', bytes: 10, verified: { source: {}, target: {} }, warnings: [] };
    expect(await svc.heartbeat(a.id, { leaseToken: a.lease.token, phase: 'upload', bytesDone: 1, bytesTotal: 10 })).toEqual({ ok: false });
    expect(await svc.complete(a.id, { leaseToken: a.lease.token, ...done })).toEqual({ ok: false });
    expect(await svc.fail(a.id, { leaseToken: a.lease.token, code: 'upload_failed', message: 'x', retryable: true, phase: 'upload' })).toEqual({ ok: false });
    expect(await svc.complete('no-such-task', { leaseToken: a.lease.token, ...done })).toEqual({ ok: false });
    expect({ task: await store().getRunnerTask(a.id), job: await store().getJob(job.id), events: await store().listEvents(job.id) }).toEqual(before);
    expect(woken).toEqual([]);

    clock.t = t + 1_700;
    expect(await svc.complete(b.id, { leaseToken: b.lease.token, ...done, imageId: 'img-b', warnings: ['leaks'] })).toEqual({
      ok: true,
      value: { state: 'done' },
    });
    expect(await store().getRunnerTask(b.id)).toMatchObject({
      state: 'done',
      finishedAt: t + 1_700,
      leaseExpiresAt: null,
      result: { imageId: 'img-b', bytes: 10, warnings: ['leaks'] },
    });
    expect(await store().getJob(job.id)).toMatchObject({ state: 'waiting', runAfter: t + 1_700 });
    expect(woken).toEqual([job.id]);
    const last = (await store().listEvents(job.id)).at(-1);
    expect(last).toMatchObject({ type: 'runner.done', step: 'clean-image', attempt: 2, data: { taskId: b.id, imageId: 'img-b' } });
    // a complete repeated after its answer got lost is answered the same, and writes nothing
    const count = (await store().listEvents(job.id)).length;
    expect(await svc.complete(b.id, { leaseToken: b.lease.token, ...done, imageId: 'img-b' })).toEqual({ ok: true, value: { state: 'done' } });
    expect(await store().listEvents(job.id)).toHaveLength(count);
    await finish(job);
  });

  it('runner tasks: a cancelled job is seen on the next heartbeat, and its tasks are not handed out', async () => {
    const { job, t } = await waitingJob();
    const cloud = `c-${uid()}`;
    const clock = { t };
    const { svc } = service(clock, { leaseMs: 60_000 });
    const spec = newTask(job.id, { scopes: [{ cloud, server: 'web' }] });
    await store().enqueueRunnerTask(spec);
    const a = (await svc.claim(scoped(cloud), 'runner-a'))!;
    const queued = newTask(job.id, { key: 'second', scopes: [{ cloud, server: 'web' }] });
    await store().enqueueRunnerTask(queued);
    await store().requestCancel(job.id, ev('cancel.requested'));
    expect(await svc.claim(scoped(cloud), 'runner-b')).toBeNull();

    const beat = await svc.heartbeat(a.id, { leaseToken: a.lease.token, phase: 'sysprep', bytesDone: 0, bytesTotal: 0 });
    expect(beat).toMatchObject({ ok: true, value: { cancel: true } });
    expect(await store().getRunnerTask(a.id)).toMatchObject({ state: 'cancelled', phase: 'sysprep' });
    expect((await store().listEvents(job.id)).at(-1)).toMatchObject({ type: 'runner.cancel', data: { taskId: a.id } });
    expect(await svc.heartbeat(a.id, { leaseToken: a.lease.token, phase: 'sysprep', bytesDone: 0, bytesTotal: 0 })).toMatchObject({
      ok: true,
      value: { cancel: true },
    });
    expect(
      await svc.fail(a.id, { leaseToken: a.lease.token, code: 'cancelled', message: 'the job was cancelled', retryable: false, phase: 'sysprep' }),
    ).toEqual({ ok: true, value: { state: 'cancelled' } });
    expect(await store().getRunnerTask(a.id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled', phase: 'sysprep' } });

    expect(await store().cancelRunnerTasks(job.id, t)).toBe(1);
    expect(await store().getRunnerTask(queued.id)).toMatchObject({ state: 'cancelled', finishedAt: t });
    expect(await store().cancelRunnerTasks(job.id, t)).toBe(0);
  });

  it('runner tasks: retryable failures queue the task again up to maxAttempts (a stopped runner does not count); then it fails and wakes the job', async () => {
    const { job, t } = await waitingJob();
    const cloud = `c-${uid()}`;
    const clock = { t };
    const { svc, woken, queued } = service(clock, { leaseMs: 60_000 });
    await store().enqueueRunnerTask(newTask(job.id, { maxAttempts: 2, scopes: [{ cloud, server: 'web' }] }));
    const failWith = async (code: string, retryable: boolean) => {
      const task = (await svc.claim(scoped(cloud), 'runner-a'))!;
      return svc.fail(task.id, { leaseToken: task.lease.token, code, message: `${code} happened`, retryable, phase: 'download' });
    };
    expect(await failWith('download_failed', true)).toEqual({ ok: true, value: { state: 'queued' } });
    expect(await failWith('runner_stopping', true)).toEqual({ ok: true, value: { state: 'queued' } });
    expect(queued()).toBe(2);
    expect(woken).toEqual([]);
    expect(await failWith('download_failed', true)).toEqual({ ok: true, value: { state: 'failed' } });
    const task = await store().findRunnerTask(job.id, 'clean-image', 'lab/img-1');
    expect(task).toMatchObject({ state: 'failed', attempt: 3, failures: 2, leaseExpiresAt: null, error: { code: 'download_failed', retryable: true } });
    expect(woken).toEqual([job.id]);
    expect(await store().getJob(job.id)).toMatchObject({ runAfter: t });
    const types = (await store().listEvents(job.id)).map((e) => e.type).filter((x) => x.startsWith('runner.'));
    expect(types).toEqual(['runner.claimed', 'runner.retry', 'runner.claimed', 'runner.retry', 'runner.claimed', 'runner.failed']);

    await store().enqueueRunnerTask(newTask(job.id, { key: 'permanent', scopes: [{ cloud, server: 'web' }] }));
    expect(await failWith('corrupt_image', false)).toEqual({ ok: true, value: { state: 'failed' } });
    await finish(job);
  });

  it('runner tasks: a runner token limited to targets only claims tasks whose every scope it may target', async () => {
    const { job, t } = await waitingJob();
    const [ca, cb] = [`a-${uid()}`, `b-${uid()}`];
    const clock = { t };
    const { svc } = service(clock, { leaseMs: 60_000 });
    const other = newTask(job.id, {
      key: 'other',
      scopes: [
        { cloud: ca, server: 'db' },
        { cloud: cb, server: 'db2' },
      ],
    });
    const web = newTask(job.id, {
      key: 'web',
      scopes: [
        { cloud: ca, server: 'web' },
        { cloud: cb, server: 'web2' },
      ],
    });
    const half = newTask(job.id, {
      key: 'half',
      scopes: [
        { cloud: ca, server: 'web' },
        { cloud: `x-${uid()}`, server: 'web2' },
      ],
    });
    for (const s of [other, web, half]) await store().enqueueRunnerTask(s);
    const narrow = { name: 'narrow', targets: [`${ca}/*/web`, `${cb}/**`] };
    expect((await svc.claim(narrow, 'runner-n'))?.id).toBe(web.id);
    expect(await svc.claim(narrow, 'runner-n')).toBeNull();
    // a token without targets claims whatever is queued (every other test's tasks are finished)
    const rest = [await svc.claim(ALL, 'runner-all'), await svc.claim(ALL, 'runner-all'), await svc.claim(ALL, 'runner-all')];
    expect(rest.map((x) => x?.id ?? null).sort()).toEqual([other.id, half.id, null].sort());
    await finish(job);
  });
}
