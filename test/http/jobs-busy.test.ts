// A server busy with a job: through the real HTTP stack (app.request), the real preflight
// resolving servers against the OpenStack simulator, and a real SQLite job table. Racing
// submissions for one idle server make one job (202) and name it in every 409; a name and
// an id of one server are one lock; a server's jobs are listed under either spelling.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSubmitPreflight } from '../../functions/submit-preflight';
import { openstackProvider } from '../../functions/workflows/deps';
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { cloudConfigSchema } from '../../shared/openstack/cloud-config';
import { createTokenCache } from '../../shared/openstack/identity';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { type ErrorJson, get, type Harness, postJson, startHarness, until } from './harness';

const RACERS = 20;
const transport = createUndiciTransport();
let sim: SimHandle;
let h: Harness;
let web: { id: string; name: string };

beforeAll(async () => {
  sim = await startSimulator({ withCinder: false });
});
afterAll(async () => {
  await transport.close();
  await sim.close();
});
beforeEach(async () => {
  web = sim.state.addServer({ name: `web-${crypto.randomUUID().slice(0, 6)}` });
  const cloud = cloudConfigSchema.parse({ name: 'prod', ...sim.cloud });
  const provider = openstackProvider({ clouds: (n) => (n === 'prod' ? cloud : undefined), transport, tokenCache: createTokenCache() });
  h = await startHarness({ deps: { preflight: createSubmitPreflight({ hasCloud: (n) => n === 'prod', openstack: (c) => provider(c) }) } });
});
afterEach(async () => h.close());

// "hold": the test workflow's create-image step waits on the harness gate, so the job stays busy
const snap = (server: string) => ({ kind: 'snapshot', cloud: 'prod', server, name: 'hold' });
const idOf = async (res: Response) => ((await res.json()) as { id: string }).id;

describe('POST /v1/jobs for a busy server', () => {
  it(`${RACERS} concurrent snapshots of one idle server: one 202, ${RACERS - 1} × 409 server_busy naming that job`, async () => {
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => postJson(h, '/v1/jobs', snap(web.name), undefined, { 'Idempotency-Key': `race-${i}` })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([202, ...Array.from({ length: RACERS - 1 }, () => 409)]);
    const winnerAt = responses.findIndex((r) => r.status === 202);
    const winner = await idOf(responses[winnerAt]!);
    for (const res of responses.filter((r) => r.status === 409)) {
      const body = (await res.json()) as ErrorJson & { error: { details: unknown } };
      expect(body.error).toMatchObject({
        code: 'server_busy',
        field: 'server',
        details: { jobId: winner, kind: 'snapshot', wait: `/v1/jobs/${winner}/wait` },
      });
    }
    expect((await h.store.listJobs({})).map((j) => j.id)).toEqual([winner]);
    expect(await h.store.getJob(winner)).toMatchObject({ lockKey: `prod/${web.id}`, lockAlias: `prod/${web.name}` });

    // Idempotency-Key replays as before: the winner's key returns it (200); a loser's key made nothing
    const replay = await postJson(h, '/v1/jobs', snap(web.name), undefined, { 'Idempotency-Key': `race-${winnerAt}` });
    expect(replay.status).toBe(200);
    expect(await idOf(replay)).toBe(winner);
    const loser = await postJson(h, '/v1/jobs', snap(web.name), undefined, { 'Idempotency-Key': `race-${(winnerAt + 1) % RACERS}` });
    expect(loser.status).toBe(409);
  });

  it('the server by name and by id is one lock; its jobs are listed under either; it is free again once the job ended', async () => {
    const first = await postJson(h, '/v1/jobs', snap(web.name));
    expect(first.status).toBe(202);
    const holder = await idOf(first);
    await until(() => h.gate.entered === 1, 'the job to hold the server');
    const byId = await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: web.id, confirm: true });
    expect(byId.status).toBe(409);
    expect(((await byId.json()) as { error: { details: { jobId: string } } }).error.details.jobId).toBe(holder);

    for (const spelling of [web.name, web.id]) {
      const res = await get(h, `/v1/jobs?cloud=prod&server=${encodeURIComponent(spelling)}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual([holder]);
    }

    h.gate.open();
    await until(async () => (await h.store.getJob(holder))?.state === 'succeeded', 'the holder to finish');
    expect((await postJson(h, '/v1/jobs', { kind: 'rollback', cloud: 'prod', server: web.id, confirm: true })).status).toBe(202);
  });

  it('a name and an id of one idle server submitted at once: one 202, one 409', async () => {
    const [a, b] = await Promise.all([postJson(h, '/v1/jobs', snap(web.name)), postJson(h, '/v1/jobs', snap(web.id))]);
    expect([a!.status, b!.status].sort()).toEqual([202, 409]);
    expect(await h.store.listJobs({})).toHaveLength(1);
  });
});
