// Schedules → snapshot jobs against the simulator, with the real engine and SQLite store:
// one job per target per slot, never twice for the same slot, retention carried along.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSchedulesRuntime, SLOT_STALE_MS } from '../../functions/schedule-service';
import { LockBusyError } from '../../shared/engine/errors';
import { type Schedule, ScheduleSchema } from '../../shared/schedule/schema';
import { type Harness, setup } from './harness';

const principal = { name: 'ops', scopes: ['admin'], targets: ['**'] } as never;

function schedule(over: Partial<Schedule> & { target: Schedule['target'] }): Schedule {
  return ScheduleSchema.parse({ name: 'nightly', cron: '0 2 * * *', ...over });
}

describe('schedule runtime', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup();
  });
  afterEach(async () => {
    await h.close();
  });

  function runtime(schedules: Schedule[], owner?: string) {
    return createSchedulesRuntime({
      schedules,
      engine: h.engine,
      openstack: (c) => h.deps.openstack(c),
      now: Date.now,
      ...(owner ? { slots: h.store, owner } : {}),
    });
  }

  it('with slot records, fires a slot once across instances and shows the last run with its jobs', async () => {
    h.sim.state.addServer({ name: 'a' });
    h.sim.state.addServer({ name: 'b' });
    const s = schedule({ target: { cloud: 'sim', servers: ['a', 'b'] } });
    const [one, two] = [runtime([s], 'instance-1'), runtime([s], 'instance-2')];
    const slot = new Date('2026-11-26T02:00:00Z');
    const [r1, r2] = await Promise.all([one.fireSlot(s, slot, 'schedule:nightly'), two.fireSlot(s, slot, 'schedule:nightly')]);
    const [fired, skipped] = r1.skipped ? [r2, r1] : [r1, r2];
    expect(fired.jobs).toHaveLength(2);
    expect(skipped).toMatchObject({ jobs: [], skipped: expect.stringContaining('another instance') });
    for (const j of fired.jobs) expect((await h.finish(j.id)).state).toBe('succeeded');
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action:createImage')).toBe(2);
    const [info] = await two.list();
    expect(info).toMatchObject({ lastRunAt: slot, lastRun: { slot, jobs: { succeeded: 2 }, errors: [] } });
    expect(info!.lastRun!.finishedAt).toBeInstanceOf(Date);
  });

  it('with slot records, a firing that made no job (cloud down) is fired again by a later catch-up once stale', async () => {
    h.sim.state.addServer({ name: 'a' });
    const s = schedule({ target: { cloud: 'sim', servers: ['a'] }, cron: '* * * * *' });
    const rt = runtime([s], 'instance-1');
    h.sim.faults.add({ route: /^\/v2\.1\/servers/, status: 503 });
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const first = await rt.fireSlot(s, slot, 'schedule:nightly');
    h.sim.faults.clear();
    expect(first.jobs).toEqual([]);
    expect(first.errors[0]?.message).toMatch(/resolving targets/);
    expect((await rt.list())[0]!.lastRun).toMatchObject({ finishedAt: null });
    // another instance's catch-up within the grace window: the claim is not stale yet, then it is
    const other = createSchedulesRuntime({
      schedules: [s],
      engine: h.engine,
      openstack: (c) => h.deps.openstack(c),
      now: () => Date.now() + SLOT_STALE_MS + 1,
      slots: h.store,
      owner: 'instance-2',
    });
    const again = await other.fireMissed(new Date(slot.getTime() + 1_000), 3_600_000);
    expect(again[0]?.jobs).toHaveLength(1);
    expect(await rt.fireMissed(new Date(slot.getTime() + 2_000), 3_600_000)).toMatchObject([{ skipped: expect.any(String) }]);
  });

  it('fires one snapshot job per selected server per slot, and a second firing of the slot returns the same jobs', async () => {
    h.sim.state.addServer({ name: 'a', metadata: { 'snapflow:schedule': 'nightly' } });
    h.sim.state.addServer({ name: 'b', metadata: { 'snapflow:schedule': 'nightly' } });
    h.sim.state.addServer({ name: 'c', metadata: { 'snapflow:schedule': 'weekly' } });
    const s = schedule({ target: { cloud: 'sim', selector: { 'snapflow:schedule': 'nightly' } }, retention: { keep: 2, maxAgeDays: 30 } });
    const rt = runtime([s]);
    const slot = new Date('2026-11-26T02:00:00Z');

    const first = await rt.fireSlot(s, slot, 'schedule:nightly');
    expect(first.errors).toEqual([]);
    expect(first.jobs.map((j) => j.server).sort()).toEqual(['a', 'b']);
    expect(first.jobs.every((j) => j.created)).toBe(true);

    const again = await rt.fireSlot(s, slot, 'schedule:nightly');
    expect(again.jobs.map((j) => j.id).sort()).toEqual(first.jobs.map((j) => j.id).sort());
    expect(again.jobs.some((j) => j.created)).toBe(false);

    for (const j of first.jobs) {
      const job = await h.finish(j.id);
      expect(job.state).toBe('succeeded');
      expect(job.params).toMatchObject({ policy: 'nightly', keep: 2, maxAgeDays: 30 });
      expect(job.idempotencyKey).toMatch(/^schedule:nightly:2026-11-26T02:00:00.000Z:/);
    }
    // exactly two createImage calls: the second firing made nothing
    expect(h.sim.counters.get('POST /v2.1/servers/{id}/action:createImage')).toBe(2);
  });

  it('locks on the server id with its name as alias, and a slot for a busy server queues behind the job that holds it', async () => {
    const web = h.sim.state.addServer({ name: 'web' });
    // as POST /v1/jobs submits it: by name, exclusive, on the lock its preflight resolved
    const api = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' }, { exclusive: true, lockKey: `sim/${web.id}`, lockAlias: 'sim/web' });
    const s = schedule({ target: { cloud: 'sim', servers: ['web'] } });
    const fired = await runtime([s]).fireSlot(s, new Date('2026-11-26T02:00:00Z'), 'schedule:nightly');
    expect(fired.errors).toEqual([]);
    expect(fired.jobs).toEqual([{ id: expect.any(String), server: 'web', created: true }]);
    const slotJob = fired.jobs[0]!.id;
    expect(await h.store.getJob(slotJob)).toMatchObject({ lockKey: `sim/${web.id}`, lockAlias: 'sim/web', params: { server: web.id } });
    // the API's next submission, by id, is refused while either is unfinished
    await expect(
      h.engine.submit('rollback', { cloud: 'sim', server: web.id, image: 'latest', confirm: true }, { exclusive: true, lockKey: `sim/${web.id}` }),
    ).rejects.toBeInstanceOf(LockBusyError);
    const [first, second] = [await h.finish(api.job.id), await h.finish(slotJob)];
    expect([first.state, second.state]).toEqual(['succeeded', 'succeeded']);
    expect(second.startedAt!).toBeGreaterThanOrEqual(first.finishedAt!);
  });

  it('fires due slots between ticks, a missed slot within the grace window once, and nothing for a disabled schedule', async () => {
    h.sim.state.addServer({ name: 'web' });
    const hourly = schedule({ name: 'hourly', cron: '0 * * * *', target: { cloud: 'sim', servers: ['web'] } });
    const off = schedule({ name: 'off', enabled: false, cron: '* * * * *', target: { cloud: 'sim', servers: ['web'] } });
    const rt = runtime([hourly, off]);

    const due = await rt.fireDue(new Date('2026-11-26T09:59:30Z'), new Date('2026-11-26T10:00:30Z'));
    expect(due.map((r) => [r.schedule, r.slot])).toEqual([['hourly', '2026-11-26T10:00:00.000Z']]);

    const missed = await rt.fireMissed(new Date('2026-11-26T10:20:00Z'), 30 * 60_000);
    expect(missed.map((r) => r.slot)).toEqual(['2026-11-26T10:00:00.000Z']);
    // the missed slot is the one that already fired: same job, not a second snapshot
    expect(missed[0]!.jobs[0]!.id).toBe(due[0]!.jobs[0]!.id);
    expect(await rt.fireMissed(new Date('2026-11-26T11:50:00Z'), 30 * 60_000)).toEqual([]);

    const list = await rt.list();
    expect(list.find((s) => s.name === 'off')?.nextRunAt).toBeNull();
    expect(list.find((s) => s.name === 'hourly')?.nextRunAt).toBeInstanceOf(Date);
    await h.finish(due[0]!.jobs[0]!.id);
  });

  it('fires the schedules of one slot side by side: a slow target list holds back only its own schedule', async () => {
    h.sim.state.addServer({ name: 'slow-1', metadata: { 'snapflow:schedule': 'nightly' } });
    h.sim.state.addServer({ name: 'quick-1' });
    // the selector's listing (no name filter) answers late; resolving quick-1 by name does not
    h.sim.faults.add({ route: 'GET /v2.1/servers/detail', delayMs: 1_000, when: (req) => !String(req.url).includes('name=') });
    const slow = schedule({ name: 'slow', target: { cloud: 'sim', selector: { 'snapflow:schedule': 'nightly' } } });
    const quick = schedule({ name: 'quick', target: { cloud: 'sim', servers: ['quick-1'] } });
    const rt = runtime([slow, quick]);

    const fired = await rt.fireDue(new Date('2026-11-26T01:59:30Z'), new Date('2026-11-26T02:00:30Z'));
    expect(fired.map((r) => [r.schedule, r.jobs.map((j) => j.server)])).toEqual([
      ['slow', ['slow-1']],
      ['quick', ['quick-1']],
    ]);
    // submitted in the order they were ready, not in the order of the schedule list
    const oldestFirst = (await h.store.listJobs({ kind: 'snapshot' })).reverse();
    expect(oldestFirst.map((j) => j.idempotencyKey?.split(':')[1])).toEqual(['quick', 'slow']);
    for (const r of fired) await h.finish(r.jobs[0]!.id);
  });

  it('run-now reports an unknown server instead of throwing, and an unknown schedule as null', async () => {
    const s = schedule({ target: { cloud: 'sim', servers: ['nope'] } });
    const rt = runtime([s]);
    const r = await rt.runNow('nightly', principal);
    expect(r?.jobs).toEqual([]);
    expect(r && 'errors' in r ? (r as { errors: { message: string }[] }).errors[0]?.message : '').toMatch(/nope/);
    expect(await rt.runNow('missing', principal)).toBeNull();
  });
});
