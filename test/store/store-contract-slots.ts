import { expect, it } from 'vitest';
import type { ContractContext } from './store-contract-lifecycle';
import { uid } from './store-contract-support';

// Schedule slots: one firer per (schedule, slot) across instances, a takeover of a claim whose
// firer died, and the record of what the firing made (GET /v1/schedules shows the last one).

export function registerSlotsContract(c: ContractContext): void {
  const staleMs = 600_000;
  const t0 = Date.UTC(2026, 0, 1, 2, 0);

  it('lets one firer claim a slot, also under concurrency', async () => {
    const sched = `nightly-${uid()}`;
    expect(await c.store().claimSlot(sched, t0, { owner: 'a', staleMs, now: t0 })).toBe(true);
    expect(await c.store().claimSlot(sched, t0, { owner: 'b', staleMs, now: t0 + 1 })).toBe(false);
    const race = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => c.store().claimSlot(sched, t0 + 60_000, { owner, staleMs, now: t0 + 60_000 })));
    expect(race.filter(Boolean)).toHaveLength(1);
    expect(await c.store().claimSlot(`${sched}-b`, t0, { owner: 'b', staleMs, now: t0 })).toBe(true);
  });

  it('hands an unfinished claim over once it is stale, never a finished one', async () => {
    const sched = `nightly-${uid()}`;
    expect(await c.store().claimSlot(sched, t0, { owner: 'dead', staleMs, now: t0 })).toBe(true);
    expect(await c.store().claimSlot(sched, t0, { owner: 'b', staleMs, now: t0 + staleMs - 1 })).toBe(false);
    expect(await c.store().claimSlot(sched, t0, { owner: 'b', staleMs, now: t0 + staleMs + 1 })).toBe(true);
    // the dead firer's late report changes nothing; the new owner's does
    await c.store().finishSlot(sched, t0, 'dead', { jobIds: ['x'], errors: [] }, t0 + staleMs + 2);
    expect((await c.store().lastSlots([sched]))[0]).toMatchObject({ owner: 'b', finishedAt: null, jobIds: [] });
    await c.store().finishSlot(sched, t0, 'b', { jobIds: ['j1', 'j2'], errors: [{ server: 'web', message: 'busy' }] }, t0 + staleMs + 3);
    expect(await c.store().claimSlot(sched, t0, { owner: 'c', staleMs, now: t0 + 10 * staleMs })).toBe(false);
  });

  it('reports the latest slot of each schedule with what it made', async () => {
    const [a, b] = [`a-${uid()}`, `b-${uid()}`];
    for (const slot of [t0, t0 + 86_400_000]) {
      await c.store().claimSlot(a, slot, { owner: 'w', staleMs, now: slot });
      await c.store().finishSlot(a, slot, 'w', { jobIds: [`job-${slot}`], errors: [] }, slot + 5);
    }
    await c.store().claimSlot(b, t0, { owner: 'w', staleMs, now: t0 });
    const last = await c.store().lastSlots([a, b, `none-${uid()}`]);
    expect(last.sort((x, y) => x.schedule.localeCompare(y.schedule))).toEqual([
      { schedule: a, slot: t0 + 86_400_000, firedAt: t0 + 86_400_000, owner: 'w', finishedAt: t0 + 86_400_005, jobIds: [`job-${t0 + 86_400_000}`], errors: [] },
      { schedule: b, slot: t0, firedAt: t0, owner: 'w', finishedAt: null, jobIds: [], errors: [] },
    ]);
    expect(await c.store().lastSlots([])).toEqual([]);
  });

  it('reads jobs by id, leaving unknown ids out', async () => {
    const kind = `k-${uid()}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await c.store().insertJob({ id: `job-${uid()}`, kind, params: {} })).job.id);
    const got = await c.store().getJobs([...ids, 'nope']);
    expect(got.map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(await c.store().getJobs([])).toEqual([]);
  });
}
