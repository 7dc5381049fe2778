import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorJson, get, type Harness, postJson, startHarness, TOKENS, until } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

interface JobJson {
  id: string;
  kind: string;
  state: string;
  [k: string]: unknown;
}

async function submit(body: Record<string, unknown>, token = TOKENS.submitter): Promise<JobJson> {
  const res = await postJson(h, '/v1/jobs', body, token);
  expect(res.status).toBe(202);
  return (await res.json()) as JobJson;
}

async function settled(id: string): Promise<JobJson> {
  return until(async () => {
    const j = (await (await get(h, `/v1/jobs/${id}`)).json()) as JobJson;
    return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : null;
  }, `job ${id} to settle`);
}

async function errorOf(res: Response): Promise<{ status: number; code: string; field?: string }> {
  const b = (await res.json()) as ErrorJson;
  return { status: res.status, code: b.error.code, ...(b.error.field !== undefined ? { field: b.error.field } : {}) };
}

describe('GET /v1/jobs/:id and events', () => {
  it('404 for an unknown job, in the error envelope', async () => {
    expect(await errorOf(await get(h, '/v1/jobs/nope'))).toEqual({ status: 404, code: 'not_found' });
    expect(await errorOf(await get(h, '/v1/jobs/nope/events'))).toEqual({ status: 404, code: 'not_found' });
    expect(await errorOf(await get(h, `/v1/jobs/${'x'.repeat(500)}`))).toEqual({ status: 404, code: 'not_found' });
  });

  it('needs a read-scoped token (401) whose targets cover the job (404 otherwise, as for an unknown id)', async () => {
    const j = await submit({ kind: 'snapshot', cloud: 'prod', server: 'web' });
    const mine = await submit({ kind: 'snapshot', cloud: 'prod', server: 'ci-runner' });
    expect((await h.app.request(`/v1/jobs/${j.id}`)).status).toBe(401);
    expect((await get(h, `/v1/jobs/${j.id}`, TOKENS.reader)).status).toBe(200);
    expect((await get(h, `/v1/jobs/${mine.id}`, TOKENS.ci)).status).toBe(200);
    for (const path of [`/v1/jobs/${j.id}`, `/v1/jobs/${j.id}/events`, `/v1/jobs/${j.id}/wait?timeout=1`]) {
      expect(await errorOf(await get(h, path, TOKENS.ci))).toEqual({ status: 404, code: 'not_found' });
    }
    const listed = (await (await get(h, '/v1/jobs', TOKENS.ci)).json()) as { jobs: { id: string }[] };
    expect(listed.jobs.map((x) => x.id)).toContain(mine.id);
    expect(listed.jobs.map((x) => x.id)).not.toContain(j.id);
    const byServer = (await (await get(h, '/v1/jobs?cloud=prod&server=web', TOKENS.ci)).json()) as { jobs: unknown[] };
    expect(byServer.jobs).toEqual([]);
  });

  it('lists events oldest first, paged with `after`', async () => {
    const j = await submit({ kind: 'snapshot', cloud: 'prod', server: 'web' });
    await settled(j.id);
    const all = (await (await get(h, `/v1/jobs/${j.id}/events`)).json()) as {
      events: { seq: number; type: string; at: string; step: string | null }[];
      next: number | null;
    };
    expect(all.events[0]).toMatchObject({ type: 'submitted', step: null, toState: 'queued' });
    expect(all.events.filter((e) => e.type === 'step.done').map((e) => e.step)).toEqual(['resolve-server', 'create-image', 'wait-image-active']);
    expect(all.events.at(-1)).toMatchObject({ toState: 'succeeded' });
    expect(all.events[0]!.at).toMatch(/Z$/);
    expect(all.next).toBeNull();
    const seqs = all.events.map((e) => e.seq);
    const page1 = (await (await get(h, `/v1/jobs/${j.id}/events?limit=2`)).json()) as { events: { seq: number }[]; next: number };
    expect(page1.events.map((e) => e.seq)).toEqual(seqs.slice(0, 2));
    expect(page1.next).toBe(seqs[1]);
    const page2 = (await (await get(h, `/v1/jobs/${j.id}/events?after=${page1.next}`)).json()) as { events: { seq: number }[] };
    expect(page2.events.map((e) => e.seq)).toEqual(seqs.slice(2));
    expect(await errorOf(await get(h, `/v1/jobs/${j.id}/events?after=-1`))).toEqual({ status: 400, code: 'invalid_query', field: 'after' });
    expect(await errorOf(await get(h, `/v1/jobs/${j.id}/events?limit=0`))).toEqual({ status: 400, code: 'invalid_query', field: 'limit' });
  });
});

describe('GET /v1/jobs', () => {
  it('filters by state, kind and server, newest first', async () => {
    const a = await submit({ kind: 'snapshot', cloud: 'prod', server: 'web' });
    const b = await submit({ kind: 'rollback', cloud: 'prod', server: 'db', confirm: true });
    const c = await submit({ kind: 'snapshot', cloud: 'lab', server: 'web', name: 'park' });
    await settled(a.id);
    await settled(b.id);
    await until(async () => (await h.store.getJob(c.id))?.state === 'waiting', 'parked job');
    const ids = async (q: string) => ((await (await get(h, `/v1/jobs${q}`)).json()) as { jobs: JobJson[] }).jobs.map((j) => j.id);
    expect(await ids('')).toEqual([c.id, b.id, a.id]);
    expect(await ids('?kind=snapshot')).toEqual([c.id, a.id]);
    expect(await ids('?state=succeeded')).toEqual([b.id, a.id]);
    expect(await ids('?state=waiting')).toEqual([c.id]);
    expect(await ids('?server=web&cloud=prod')).toEqual([a.id]);
    expect(await ids('?server=web&cloud=lab&kind=snapshot')).toEqual([c.id]);
    expect(await ids('?kind=move')).toEqual([]);
  });

  it('pages with an opaque cursor until next is null', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await submit({ kind: 'snapshot', cloud: 'prod', server: `s${i}`, name: 'park' })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res = await get(h, `/v1/jobs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const page = (await res.json()) as { jobs: JobJson[]; next: string | null };
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next;
      if (cursor === null) break;
      expect(cursor).not.toMatch(/^\d+$/);
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual([...made].reverse());
    // an exact multiple of the page size ends with next: null, not an empty page
    const firstSix = (await (await get(h, '/v1/jobs?limit=7')).json()) as { jobs: JobJson[]; next: string | null };
    expect(firstSix.jobs).toHaveLength(7);
    expect(firstSix.next).toBeNull();
  });

  it('rejects bad queries with the field named', async () => {
    const cases: [string, string][] = [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=abc', 'limit'],
      ['?state=bogus', 'state'],
      ['?cursor=not-a-cursor', 'cursor'],
      ['?cursor=%25%25', 'cursor'],
      ['?sate=failed', 'sate'],
      ['?server=web', 'cloud'],
      ['?cloud=prod', 'cloud'],
    ];
    for (const [q, field] of cases) expect({ q, ...(await errorOf(await get(h, `/v1/jobs${q}`))) }).toEqual({ q, status: 400, code: 'invalid_query', field });
    expect((await get(h, '/v1/jobs?limit=200')).status).toBe(200);
  });
});

describe('POST /v1/jobs/:id/cancel', () => {
  it('cancels a waiting job (202 with the job), then 409 once finished', async () => {
    const j = await submit({ kind: 'snapshot', cloud: 'prod', server: 'web', name: 'park' });
    await until(async () => (await h.store.getJob(j.id))?.state === 'waiting', 'parked job');
    const res = await h.app.request(`/v1/jobs/${j.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${TOKENS.submitter}` } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as JobJson;
    // nothing to clean up (the test workflow has no cleanup steps): cancelled at once
    expect(body).toMatchObject({ id: j.id, state: 'cancelled', links: { self: `/v1/jobs/${j.id}` } });
    const again = await h.app.request(`/v1/jobs/${j.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${TOKENS.submitter}` } });
    expect(await errorOf(again)).toEqual({ status: 409, code: 'job_finished' });
  });

  it('a running job is flagged, finishes its step, then ends cancelled', async () => {
    const j = await submit({ kind: 'snapshot', cloud: 'prod', server: 'web', name: 'hold' });
    await until(() => h.gate.entered === 1, 'step to start');
    const res = await h.app.request(`/v1/jobs/${j.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${TOKENS.submitter}` } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ state: 'running', cancelRequested: true });
    h.gate.open();
    expect((await settled(j.id)).state).toBe('cancelled');
  });

  it("409 for a finished job, 404 for an unknown one or one outside the token's targets, 403 without submit scope", async () => {
    const j = await submit({ kind: 'snapshot', cloud: 'prod', server: 'web' });
    await settled(j.id);
    const cancel = (id: string, token = TOKENS.submitter) =>
      h.app.request(`/v1/jobs/${id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(await errorOf(await cancel(j.id))).toEqual({ status: 409, code: 'job_finished' });
    expect(await errorOf(await cancel('nope'))).toEqual({ status: 404, code: 'not_found' });
    expect(await errorOf(await cancel(j.id, TOKENS.reader))).toEqual({ status: 403, code: 'forbidden' });
    expect(await errorOf(await cancel(j.id, TOKENS.ci))).toEqual({ status: 404, code: 'not_found' });
    expect((await h.app.request(`/v1/jobs/${j.id}/cancel`, { method: 'POST' })).status).toBe(401);
  });
});
