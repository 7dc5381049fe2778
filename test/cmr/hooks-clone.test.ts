// "Clone a fresh VM for the run and delete it afterwards" end to end: GitLab Pipeline Hook
// deliveries, shaped and signed as GitLab sends them, over HTTP to the service listening on
// 127.0.0.1; the clone cleaned by a real runner process (tool doubles) on the simulator; the
// pipeline's end discards exactly the server its start made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneHookConfig, HOOK_ENV, SECRETS } from '../hooks/hook-config';
import type { Delivery } from '../hooks/payloads';
import { gitlabPipeline } from '../hooks/payloads-gitlab';
import { type CmrEnv, startCmrEnv, until } from './support';

let t: CmrEnv;
let url: string;

beforeAll(async () => {
  t = await startCmrEnv({ config: cloneHookConfig('sim', 'app-src', 'sim-dest'), configEnv: HOOK_ENV });
  t.addSource('app-src');
  url = await t.svc.listen();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function deliver(d: Delivery) {
  const res = await fetch(`${url}/v1/hooks/gitlab`, { method: 'POST', headers: d.headers, body: d.body });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as any };
}

const jobCount = async () => (await t.svc.store.listJobs({ limit: 1000 })).length;
const pipeline = (id: number, status: string) => gitlabPipeline({ token: SECRETS.gitlab, id, status, ref: 'main' });

describe('a fresh clone per pipeline (GitLab Pipeline Hook)', () => {
  it('the start clones ci-<pipeline id>, the end discards it, redeliveries start nothing', async () => {
    // slow enough that the pipeline's end arrives while its clone is still being cleaned
    t.tools.set({ sysprepMs: 1_500 });
    const startDelivery = pipeline(301, 'running');
    const start = await deliver(startDelivery);
    expect(start.status).toBe(202);
    expect(start.body.jobs).toEqual([expect.objectContaining({ rule: 'fresh-vm', kind: 'clone', cloud: 'sim', server: 'app-src' })]);
    const cloneId = start.body.jobs[0].id as string;
    const clone = (await t.svc.store.getJob(cloneId))!;
    expect(clone.params).toMatchObject({ newName: 'ci-301', to: { cloud: 'sim-dest' }, metadata: { ci_ref: 'main' } });
    expect(clone.requestedBy).toBe('hook:ci-clones');

    // the same delivery again, and another delivery saying the same pipeline runs: one clone
    const count = await jobCount();
    expect((await deliver(startDelivery)).text).toBe(start.text);
    const another = await deliver(pipeline(301, 'running'));
    expect(another.body.jobs.map((j: { id: string }) => j.id)).toEqual([cloneId]);
    expect(await jobCount()).toBe(count);

    const endDelivery = pipeline(301, 'failed');
    const end = await deliver(endDelivery);
    expect(end.status).toBe(202);
    expect(end.body.jobs).toEqual([expect.objectContaining({ rule: 'cleanup', kind: 'discard', cloud: 'sim-dest', server: 'ci-301' })]);
    const discardId = end.body.jobs[0].id as string;
    const queued = (await t.svc.store.getJob(discardId))!;
    expect(queued.params).toMatchObject({ cloud: 'sim-dest', server: 'ci-301', fromJob: cloneId, confirm: true });
    // queued behind the clone on its lock, while the clone still runs
    expect(queued.lockKey).toBe(clone.lockKey);
    expect((await t.svc.store.getJob(cloneId))?.state).not.toBe('succeeded');
    expect((await deliver(endDelivery)).text).toBe(end.text);
    const late = await deliver(pipeline(301, 'success'));
    expect(late.body.jobs.map((j: { id: string }) => j.id)).toEqual([discardId]);
    expect(await jobCount()).toBe(count + 1);

    const cloned = await t.svc.wait(cloneId, 60_000);
    expect(cloned.state, JSON.stringify(cloned.error)).toBe('succeeded');
    const made = cloned.result?.newServer as { id: string; name: string; cloud: string };
    expect(made).toMatchObject({ name: 'ci-301', cloud: 'sim-dest' });
    const discarded = await t.svc.wait(discardId, 60_000);
    expect(discarded.state, JSON.stringify(discarded.error)).toBe('succeeded');
    expect(discarded.result).toMatchObject({ cloneJobId: cloneId, deleted: true, server: { id: made.id, name: 'ci-301' } });
    await until('the clone to be gone', () => !t.servers('dest').some((s) => s.id === made.id));
    expect(t.jobImages(cloneId)).toEqual([]);
    expect(t.servers('admin').find((s) => s.name === 'app-src')?.vmState).toBe('active');
  }, 120_000);

  it('an end whose start made no clone starts nothing, and says why', async () => {
    const before = await jobCount();
    const r = await deliver(pipeline(302, 'success'));
    expect(r.status).toBe(202);
    expect(r.body.jobs).toEqual([]);
    expect(r.body.reason).toBe('no job started: rule cleanup: no "run" clone of sim/app-src was made for pipeline 302 of ci/app: nothing to discard');
    expect(await jobCount()).toBe(before);
  });

  it('secrets never reach the logs or the job table', async () => {
    const jobs = await t.svc.store.listJobs({ limit: 1000 });
    const events = await Promise.all(jobs.map((j) => t.svc.store.listEvents(j.id, 0, 1000)));
    expect(jobs.length).toBeGreaterThan(0);
    expect(JSON.stringify({ logs: t.svc.logs, jobs, events })).not.toContain(SECRETS.gitlab);
  });
});
