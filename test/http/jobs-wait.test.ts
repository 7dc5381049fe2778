import { afterEach, describe, expect, it } from 'vitest';
import { createJobNotifier } from '../../functions/http/job-notifier';
import { type ErrorJson, get, type Harness, postJson, startHarness, TOKENS, until } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function submit(hh: Harness, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(hh, '/v1/jobs', body);
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

interface WaitJson {
  id: string;
  state: string;
  timedOut: boolean;
}

describe('GET /v1/jobs/:id/wait', () => {
  it('wakes up when the job completes (engine event via the notifier)', async () => {
    // A re-check interval far beyond the test's life: only the notifier can wake it.
    h = await startHarness({ waitRecheckMs: 600_000 });
    const hh = h;
    const id = await submit(hh, { kind: 'snapshot', cloud: 'prod', server: 'web', name: 'hold' });
    await until(() => hh.gate.entered === 1, 'step to start');
    const pending = get(hh, `/v1/jobs/${id}/wait?timeout=60`);
    await until(() => hh.notifier.watching() === 1, 'the wait to subscribe');
    hh.gate.open();
    const res = await pending;
    expect(res.status).toBe(200);
    const body = (await res.json()) as WaitJson;
    expect(body).toMatchObject({ id, state: 'succeeded', timedOut: false });
    expect(hh.notifier.watching()).toBe(0);
  });

  it('finds a job another instance finished by re-reading the store', async () => {
    h = await startHarness({ wireNotifier: false, waitRecheckMs: 20 });
    const hh = h;
    const id = await submit(hh, { kind: 'snapshot', cloud: 'prod', server: 'web', name: 'hold' });
    await until(() => hh.gate.entered === 1, 'step to start');
    const pending = get(hh, `/v1/jobs/${id}/wait?timeout=60`);
    await until(() => hh.notifier.watching() === 1, 'the wait to subscribe');
    hh.gate.open();
    expect(await (await pending).json()).toMatchObject({ id, state: 'succeeded', timedOut: false });
  });

  it('returns the unfinished job with timedOut: true after the timeout', async () => {
    h = await startHarness({ waitRecheckMs: 200 });
    const hh = h;
    const id = await submit(hh, { kind: 'snapshot', cloud: 'prod', server: 'web', name: 'park' });
    await until(async () => (await hh.store.getJob(id))?.state === 'waiting', 'parked job');
    const res = await get(hh, `/v1/jobs/${id}/wait?timeout=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, state: 'waiting', timedOut: true });
    expect(hh.notifier.watching()).toBe(0);
  });

  it('returns at once for a finished job', async () => {
    h = await startHarness({ waitRecheckMs: 600_000 });
    const hh = h;
    const id = await submit(hh, { kind: 'snapshot', cloud: 'prod', server: 'web' });
    await until(async () => (await hh.store.getJob(id))?.state === 'succeeded', 'job success');
    expect(await (await get(hh, `/v1/jobs/${id}/wait?timeout=300`)).json()).toMatchObject({ state: 'succeeded', timedOut: false });
  });

  it('stops waiting when the client goes away', async () => {
    h = await startHarness({ waitRecheckMs: 600_000 });
    const hh = h;
    const id = await submit(hh, { kind: 'snapshot', cloud: 'prod', server: 'web', name: 'park' });
    await until(async () => (await hh.store.getJob(id))?.state === 'waiting', 'parked job');
    const ac = new AbortController();
    const pending = hh.app.request(`/v1/jobs/${id}/wait?timeout=300`, { headers: { Authorization: `Bearer ${TOKENS.reader}` }, signal: ac.signal });
    await until(() => hh.notifier.watching() === 1, 'the wait to subscribe');
    ac.abort();
    await until(() => hh.notifier.watching() === 0, 'the wait to let go');
    await Promise.resolve(pending).catch(() => undefined);
  });

  it('validates timeout (1..300 s) and 404s an unknown job without leaking a watch', async () => {
    h = await startHarness();
    const hh = h;
    const id = await submit(hh, { kind: 'snapshot', cloud: 'prod', server: 'web', name: 'park' });
    for (const t of ['0', '301', 'abc', '1.5']) {
      const res = await get(hh, `/v1/jobs/${id}/wait?timeout=${t}`);
      const b = (await res.json()) as ErrorJson;
      expect({ t, status: res.status, field: b.error.field }).toEqual({ t, status: 400, field: 'timeout' });
    }
    const res = await get(hh, '/v1/jobs/nope/wait?timeout=5');
    expect(res.status).toBe(404);
    expect(hh.notifier.watching()).toBe(0);
    expect((await hh.app.request(`/v1/jobs/${id}/wait`)).status).toBe(401);
  });
});

describe('createJobNotifier', () => {
  it('keeps an event that lands before next() and wakes a pending next()', async () => {
    const n = createJobNotifier();
    const w = n.watch('a');
    n.onEvent({ jobId: 'b' });
    n.onEvent({ jobId: 'a' });
    expect(await w.next(60_000)).toBe('event');
    const p = w.next(60_000);
    n.onEvent({ jobId: 'a' });
    expect(await p).toBe('event');
    expect(await w.next(5)).toBe('timeout');
    expect(n.watching()).toBe(1);
    w.close();
    w.close();
    expect(n.watching()).toBe(0);
  });

  it('resolves aborted on signal abort and on close', async () => {
    const n = createJobNotifier();
    const w = n.watch('a');
    const ac = new AbortController();
    const p = w.next(60_000, ac.signal);
    ac.abort();
    expect(await p).toBe('aborted');
    const q = w.next(60_000);
    w.close();
    expect(await q).toBe('aborted');
    expect(await w.next(60_000)).toBe('aborted');
  });
});
