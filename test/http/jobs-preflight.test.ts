// The submit route asks the preflight about every NEW job: not about a dry run (it touches
// nothing) and not about a replay of an Idempotency-Key (the first job may be the one that
// keeps the server busy).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/http/envelope';
import type { JobRequestBase } from '../../functions/submit-preflight';
import { type Harness, postJson, startHarness } from './harness';

describe('POST /v1/jobs preflight', () => {
  let h: Harness;
  const seen: JobRequestBase[] = [];
  let verdict: ApiError | null = null;
  beforeEach(async () => {
    seen.length = 0;
    verdict = null;
    h = await startHarness({
      deps: {
        preflight: async (req) => {
          seen.push(req);
          if (verdict) throw verdict;
          return undefined;
        },
      },
    });
  });
  afterEach(async () => h.close());

  const snap = { kind: 'snapshot', cloud: 'prod', server: 'web' };

  it('turns a preflight verdict into the reply (404 naming the server) and queues nothing', async () => {
    verdict = new ApiError(404, 'server_not_found', 'server: no server "web"', { field: 'server' });
    const res = await postJson(h, '/v1/jobs', snap);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'server_not_found', field: 'server' } });
    expect(await h.store.listJobs({})).toEqual([]);
  });

  it('skips the preflight for a dry run and for an idempotent replay', async () => {
    expect((await postJson(h, '/v1/jobs', { ...snap, dryRun: true })).status).toBe(200);
    expect(seen).toHaveLength(0);
    const first = await postJson(h, '/v1/jobs', snap, undefined, { 'Idempotency-Key': 'k1' });
    expect(first.status).toBe(202);
    expect(seen).toHaveLength(1);
    verdict = new ApiError(409, 'server_busy', 'busy', { field: 'server' });
    const replay = await postJson(h, '/v1/jobs', snap, undefined, { 'Idempotency-Key': 'k1' });
    expect(replay.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect((await postJson(h, '/v1/jobs', snap, undefined, { 'Idempotency-Key': 'k2' })).status).toBe(409);
  });
});
