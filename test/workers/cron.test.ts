import { describe, expect, it } from 'vitest';
import { testWorker } from './worker-harness';

// Runs inside workerd: the scheduled handler on the local D1 database and the simulator.
// A schedule's own Cron Trigger fires the slot it stands for (also when run by hand at
// another time); the every-minute safety tick catches up a slot no trigger fired, within
// the grace window; the slot records keep it to one firing, and /v1/schedules shows it.

const NIGHTLY = { name: 'nightly-q', cron: '0 2 * * *', timezone: 'UTC', target: { cloud: 'sim', servers: ['q-sched-1'] }, retention: { keep: 3 } };
const FIVE = { name: 'five-q', cron: '*/5 * * * *', timezone: 'UTC', target: { cloud: 'sim', servers: ['q-sched-2'] }, retention: { keep: 3 } };

describe('the scheduled handler in workerd', () => {
  it('a trigger of a schedule’s cron, run by hand at another time, fires that schedule’s latest slot once; /v1/schedules shows it', async () => {
    const t = testWorker({ schedules: [NIGHTLY, FIVE] });
    const at = Date.parse('2026-12-09T14:37:12Z');
    const first = await t.cron('0 2 * * *', at);
    // only the schedule written with that expression, for its slot of the day
    expect(first.fired.map((f) => [f.schedule, f.slot])).toEqual([['nightly-q', '2026-12-09T02:00:00.000Z']]);
    expect(first.fired[0]!.jobs).toEqual([{ id: expect.any(String), server: 'q-sched-1', created: true }]);
    expect(first.ran).toEqual([]);
    const jobId = first.fired[0]!.jobs[0]!.id;
    expect(t.queued.map((m) => m.body.jobId)).toEqual([jobId]);
    // pressed again: the slot is recorded as fired
    expect((await t.cron('0 2 * * *', at + 60_000)).fired).toEqual([]);

    await t.drive(jobId);
    const list = (await t.fetch('/v1/schedules')).json().schedules as Array<Record<string, any>>;
    const nightly = list.find((s) => s.name === 'nightly-q')!;
    expect(nightly.lastRunAt).toBe('2026-12-09T02:00:00.000Z');
    expect(nightly.lastRun).toMatchObject({ slot: '2026-12-09T02:00:00.000Z', finishedAt: expect.any(String), jobs: { succeeded: 1 }, errors: [] });
    expect(list.find((s) => s.name === 'five-q')).toMatchObject({ lastRunAt: null, lastRun: null });
  });

  it('the safety tick fires the latest slot no trigger fired, within the grace window, and only once', async () => {
    const t = testWorker({ schedules: [NIGHTLY, FIVE] });
    // no trigger fired */5 at 14:35; the nightly's 02:00 slot is beyond the grace window
    // (an hour by default): dropped, one fresh snapshot is worth more than a stale one
    const tick = await t.cron('* * * * *', Date.parse('2026-12-10T14:37:00Z'));
    expect(tick.fired.map((f) => [f.schedule, f.slot])).toEqual([['five-q', '2026-12-10T14:35:00.000Z']]);
    expect((await t.cron('* * * * *', Date.parse('2026-12-10T14:38:00Z'))).fired).toEqual([]);
    const jobId = tick.fired[0]!.jobs[0]!.id;
    expect(await t.drive(jobId)).toMatchObject({ state: 'succeeded' });
  });
});
