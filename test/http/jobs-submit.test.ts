import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorJson, get, type Harness, postJson, startHarness, TOKENS, until } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const snap = { kind: 'snapshot', cloud: 'prod', server: 'web' };

async function expectError(res: Response, status: number, code: string, field?: string): Promise<ErrorJson> {
  const body = (await res.json()) as ErrorJson;
  expect({ status: res.status, code: body.error.code, field: body.error.field }).toEqual({ status, code, field });
  expect(typeof body.error.message).toBe('string');
  return body;
}

describe('POST /v1/jobs', () => {
  it('accepts a job: 202, Location, links; the job then runs to success', async () => {
    const res = await postJson(h, '/v1/jobs', snap);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; kind: string; state: string; links: { self: string; events: string; wait: string } };
    expect(body.kind).toBe('snapshot');
    expect(body.state).toBe('queued');
    expect(res.headers.get('Location')).toBe(`/v1/jobs/${body.id}`);
    expect(body.links).toEqual({ self: `/v1/jobs/${body.id}`, events: `/v1/jobs/${body.id}/events`, wait: `/v1/jobs/${body.id}/wait` });
    const job = await until(async () => {
      const j = (await (await get(h, body.links.self)).json()) as Record<string, unknown>;
      return j.state === 'succeeded' ? j : null;
    }, 'job success');
    expect(job).toMatchObject({
      id: body.id,
      kind: 'snapshot',
      step: 'wait-image-active',
      progress: null,
      error: null,
      params: { cloud: 'prod', server: 'web', stop: false, properties: {} },
      requestedBy: 'submitter',
      result: { serverId: 'srv-1', imageId: expect.stringMatching(/^img-/) },
    });
    for (const k of ['createdAt', 'updatedAt', 'finishedAt']) expect(job[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('names the field path of every invalid input with a 400', async () => {
    const missing = await expectError(await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: 'web' }), 400, 'invalid_body', 'confirm');
    expect(missing.error.message).toBe('confirm: required');
    expect(missing.error.requestId).toMatch(/\S/);
    await expectError(await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: 'web', confirm: false }), 400, 'invalid_body', 'confirm');
    await expectError(await postJson(h, '/v1/jobs', { kind: 'move', cloud: 'prod', server: 'web', to: {}, confirm: true }), 400, 'invalid_body', 'to.cloud');
    await expectError(
      await postJson(h, '/v1/jobs', { kind: 'move', cloud: 'prod', server: 'web', to: { cloud: 'x', zone: 1 }, confirm: true }),
      400,
      'invalid_body',
      'to.zone',
    );
    const unknown = await expectError(await postJson(h, '/v1/jobs', { ...snap, extra: 1, more: 2 }), 400, 'invalid_body', 'extra');
    expect(unknown.error.details).toEqual([
      { field: 'extra', message: 'unknown field' },
      { field: 'more', message: 'unknown field' },
    ]);
    await expectError(await postJson(h, '/v1/jobs', { ...snap, kind: 'teleport' }), 400, 'invalid_body', 'kind');
    await expectError(await postJson(h, '/v1/jobs', { cloud: 'prod', server: 'web' }), 400, 'invalid_body', 'kind');
    await expectError(await postJson(h, '/v1/jobs', { ...snap, server: '' }), 400, 'invalid_body', 'server');
    await expectError(await postJson(h, '/v1/jobs', { ...snap, properties: { a: 1 } }), 400, 'invalid_body', 'properties.a');
    await expectError(await postJson(h, '/v1/jobs', { ...snap, dryRun: 'yes' }), 400, 'invalid_body', 'dryRun');
    await expectError(await postJson(h, '/v1/jobs', '{"kind":'), 400, 'invalid_json', 'body');
    await expectError(await postJson(h, '/v1/jobs', ''), 400, 'invalid_json', 'body');
    await expectError(await postJson(h, '/v1/jobs', '[1,2]'), 400, 'invalid_json', 'body');
    await expectError(await postJson(h, '/v1/jobs', snap, TOKENS.submitter, { 'Idempotency-Key': 'k'.repeat(201) }), 400, 'invalid_header', 'Idempotency-Key');
    await expectError(await postJson(h, '/v1/jobs', snap, TOKENS.submitter, { 'Idempotency-Key': 'has space' }), 400, 'invalid_header', 'Idempotency-Key');
    expect(await h.store.listJobs({})).toEqual([]);
  });

  it('does not echo a bad value back (a secret pasted in the wrong field stays out of the reply)', async () => {
    const res = await postJson(h, '/v1/jobs', { ...snap, stop: 'hunter2-secret' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toContain('hunter2');
  });

  it('rejects an oversized body with 413', async () => {
    const res = await postJson(h, '/v1/jobs', { ...snap, properties: { big: 'x'.repeat(70_000) } });
    await expectError(res, 413, 'body_too_large', 'body');
  });

  it('checks targets with canTarget: 403 naming the target', async () => {
    const denied = await expectError(await postJson(h, '/v1/jobs', snap, TOKENS.ci), 403, 'forbidden', 'server');
    expect(denied.error.message).toContain('prod/?/web');
    expect((await postJson(h, '/v1/jobs', { ...snap, server: 'ci-runner' }, TOKENS.ci)).status).toBe(202);
    const move = { kind: 'move', cloud: 'prod', server: 'web', to: { cloud: 'elsewhere' }, confirm: true };
    const body = await expectError(await postJson(h, '/v1/jobs', move), 403, 'forbidden', 'to.cloud');
    expect(body.error.message).toContain('elsewhere/?/web');
    expect((await postJson(h, '/v1/jobs', { ...move, to: { cloud: 'lab' } })).status).toBe(202);
  });

  it('needs a token with the submit scope', async () => {
    const none = await h.app.request('/v1/jobs', { method: 'POST', body: JSON.stringify(snap) });
    await expectError(none, 401, 'unauthorized');
    expect(none.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    await expectError(await postJson(h, '/v1/jobs', snap, 'not-a-token'), 401, 'unauthorized');
    const ro = await expectError(await postJson(h, '/v1/jobs', snap, TOKENS.reader), 403, 'forbidden');
    expect(ro.error.message).toContain('submit');
  });

  it('dry run on any kind returns the plan and touches nothing', async () => {
    const r1 = await postJson(h, '/v1/jobs', { ...snap, dryRun: true });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toEqual({ dryRun: true, kind: 'snapshot', plan: ['resolve-server', 'create-image', 'wait-image-active'] });
    const r2 = await postJson(h, '/v1/jobs', { ...snap, stop: true, dryRun: true }, TOKENS.submitter, { 'Idempotency-Key': 'dry' });
    expect(((await r2.json()) as { plan: string[] }).plan).toEqual(['resolve-server', 'stop', 'create-image', 'wait-image-active', 'start']);
    const r3 = await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: 'web', confirm: true, dryRun: true });
    expect(await r3.json()).toEqual({ dryRun: true, kind: 'rollback', plan: ['rebuild'] });
    // still validated and authorised
    await expectError(await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: 'web', dryRun: true }), 400, 'invalid_body', 'confirm');
    await expectError(await postJson(h, '/v1/jobs', { ...snap, dryRun: true }, TOKENS.ci), 403, 'forbidden', 'server');
    expect(await h.store.listJobs({})).toEqual([]);
    // the key of a dry run was not consumed
    expect((await postJson(h, '/v1/jobs', snap, TOKENS.submitter, { 'Idempotency-Key': 'dry' })).status).toBe(202);
    // `dryRun: false` is an ordinary submission
    expect((await postJson(h, '/v1/jobs', { ...snap, server: 'db', dryRun: false })).status).toBe(202);
  });
});

describe('Idempotency-Key', () => {
  const key = { 'Idempotency-Key': 'ci-pipeline-42:pre-test' };

  it('the same key again returns the first job with 200', async () => {
    const first = await postJson(h, '/v1/jobs', snap, TOKENS.submitter, key);
    expect(first.status).toBe(202);
    const a = (await first.json()) as { id: string };
    // same request, other key order and an explicit default: still the same request
    const again = await postJson(h, '/v1/jobs', { server: 'web', stop: false, cloud: 'prod', kind: 'snapshot' }, TOKENS.submitter, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('Location')).toBe(`/v1/jobs/${a.id}`);
    expect(((await again.json()) as { id: string }).id).toBe(a.id);
    expect(await h.store.listJobs({})).toHaveLength(1);
  });

  it('a different body with a used key is 409 idempotency_mismatch', async () => {
    expect((await postJson(h, '/v1/jobs', snap, TOKENS.submitter, key)).status).toBe(202);
    await expectError(await postJson(h, '/v1/jobs', { ...snap, server: 'db' }, TOKENS.submitter, key), 409, 'idempotency_mismatch');
    await expectError(
      await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: 'web', confirm: true }, TOKENS.submitter, key),
      409,
      'idempotency_mismatch',
    );
    expect(await h.store.listJobs({})).toHaveLength(1);
  });

  it('keys are per token: another token with the same key gets its own job', async () => {
    const a = (await (await postJson(h, '/v1/jobs', snap, TOKENS.submitter, key)).json()) as { id: string };
    // the same server: only once the first job has ended is it free for another
    await until(async () => (await h.store.getJob(a.id))?.state === 'succeeded', 'the first job');
    const res = await postJson(h, '/v1/jobs', snap, TOKENS.admin, key);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { id: string }).id).not.toBe(a.id);
  });

  it('concurrent submissions with one key make exactly one job', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => postJson(h, '/v1/jobs', snap, TOKENS.submitter, key)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    expect(await h.store.listJobs({})).toHaveLength(1);
  });
});
