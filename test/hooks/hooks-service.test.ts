// CI webhooks through the real HTTP stack on Node: the service as `npm start` composes it
// (functions/in-process-service.ts) on the OpenStack simulator, deliveries shaped and signed
// as GitLab, GitHub and the README's curl lines send them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import type { Server as SimServer } from '../../shared/sim/model';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { FAST_LATENCY } from '../workflows/harness';
import { HOOK_ENV, hookConfig, SECRETS } from './hook-config';
import { type Delivery, generic } from './payloads';
import { githubWorkflowRun } from './payloads-github';
import { gitlabJob, gitlabPipeline } from './payloads-gitlab';

let sim: SimHandle;
let svc: InProcessService;
let dir: string;
let web: SimServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snapflow-hooks-'));
  // Snapshots slow enough that a pipeline's end arrives while its start's snapshot still runs.
  sim = await startSimulator({ latency: { ...FAST_LATENCY, snapshot: 600 } });
  web = sim.state.addServer({ name: 'web' });
  sim.state.addServer({ name: 'db' });
  const clouds = join(dir, 'clouds.yaml');
  writeFileSync(clouds, sim.cloudsYaml(), { mode: 0o600 });
  svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: clouds },
    cloudNames: ['sim'],
    mode: 'simulator',
    tickMs: 200,
    timeScale: 0.05,
    configFile: hookConfig('sim', 'web'),
    configEnv: HOOK_ENV,
  });
}, 60_000);

afterAll(async () => {
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function deliver(provider: string, d: Delivery) {
  const res = await svc.service.app.request(`/v1/hooks/${provider}`, { method: 'POST', headers: d.headers, body: d.body });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as any };
}

const jobCount = async () => (await svc.store.listJobs({ limit: 1000 })).length;

async function succeeded(id: string) {
  const job = await svc.wait(id, 60_000);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  return job;
}

describe('GitLab pipeline hooks (X-Gitlab-Token)', () => {
  it('snapshots at the start, rolls back to exactly that snapshot at the end, and answers a redelivery the same', async () => {
    const start = gitlabPipeline({ token: SECRETS.gitlab, id: 101, status: 'running', ref: 'main' });
    const first = await deliver('gitlab', start);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ hook: 'ci-gitlab', event: { event: 'pipeline', project: 'ci/app', pipelineId: '101', status: 'running' } });
    expect(first.body.jobs).toEqual([expect.objectContaining({ rule: 'reference', kind: 'snapshot', cloud: 'sim', server: 'web' })]);
    const snap101 = first.body.jobs[0].id as string;

    const before = await jobCount();
    const again = await deliver('gitlab', start);
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(await jobCount()).toBe(before);

    // Another pipeline starts later: its snapshot is the latest, and must not be the one 101 gets.
    const other = await deliver('gitlab', gitlabPipeline({ token: SECRETS.gitlab, id: 102, status: 'running', ref: 'release/2.1' }));
    const snap102 = other.body.jobs[0].id as string;
    expect(snap102).not.toBe(snap101);

    // 101 ends while its snapshot may still be running: the rollback queues, it is not refused.
    const endDelivery = gitlabPipeline({ token: SECRETS.gitlab, id: 101, status: 'failed', ref: 'main' });
    const end = await deliver('gitlab', endDelivery);
    expect(end.status).toBe(202);
    expect(end.body.jobs).toEqual([expect.objectContaining({ rule: 'restore', kind: 'rollback' })]);
    const rollback = end.body.jobs[0].id as string;
    // GitLab's retry keeps Idempotency-Key (X-Gitlab-Event-UUID is not the retry's identity then).
    const retry = await deliver('gitlab', { ...endDelivery, headers: { ...endDelivery.headers, 'X-Gitlab-Event-UUID': 'another-uuid' } });
    expect(retry.text).toBe(end.text);
    expect((await svc.store.getJob(rollback))?.params).toMatchObject({ imageFromJob: snap101, confirm: true });

    const made = await succeeded(snap101);
    await succeeded(snap102);
    const rolled = await succeeded(rollback);
    expect(rolled.result?.imageId).toBe(made.result?.imageId);
    expect(web.imageId).toBe(made.result?.imageId);

    const image = sim.state.images.get(made.result?.imageId as string)!;
    expect(image.name).toBe('ci-101-bcbb5ec3');
    expect(image.props).toMatchObject({ ci_project: 'ci/app', ci_ref: 'main' });
  }, 120_000);

  it('an end whose start made no snapshot starts nothing, and says why', async () => {
    const r = await deliver('gitlab', gitlabPipeline({ token: SECRETS.gitlab, id: 103, status: 'success' }));
    expect(r.status).toBe(202);
    expect(r.body.jobs).toEqual([]);
    expect(r.body.reason).toMatch(/no "reference" snapshot of sim\/web was made for pipeline 103 of ci\/app/);
  });

  it('202 with the reason for an event no rule matches; 401 for a wrong or missing token', async () => {
    const job = await deliver('gitlab', gitlabJob({ token: SECRETS.gitlab, pipelineId: 104, buildId: 9, name: 'integration', status: 'running' }));
    expect(job.status).toBe(202);
    expect(job.body.jobs).toEqual([]);
    expect(job.body.reason).toMatch(/^no rule of webhook "ci-gitlab" matches: rule reference: event job, not pipeline/);
    const feature = await deliver('gitlab', gitlabPipeline({ token: SECRETS.gitlab, id: 105, status: 'running', ref: 'feature/x' }));
    expect(feature.body.reason).toContain('ref "feature/x" does not match main | release/*');

    const wrong = await deliver('gitlab', gitlabPipeline({ token: 'not-the-token', id: 106, status: 'running' }));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'bad_token', field: 'X-Gitlab-Token' });
    const d = gitlabPipeline({ token: SECRETS.gitlab, id: 106, status: 'running' });
    delete d.headers['X-Gitlab-Token'];
    expect((await deliver('gitlab', d)).status).toBe(401);
  });

  it('older GitLab (no Idempotency-Key): X-Gitlab-Event-UUID is the delivery id; without either, a 400 naming it', async () => {
    const d = gitlabPipeline({ token: SECRETS.gitlab, id: 108, status: 'success' });
    delete d.headers['Idempotency-Key'];
    expect((await deliver('gitlab', d)).body.delivery).toBe(d.headers['X-Gitlab-Event-UUID']);
    delete d.headers['X-Gitlab-Event-UUID'];
    const r = await deliver('gitlab', d);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_header', field: 'X-Gitlab-Event-UUID' });
  });

  it('a pipeline naming a server the rules do not name starts nothing', async () => {
    const before = await jobCount();
    const r = await deliver(
      'gitlab',
      gitlabPipeline({ token: SECRETS.gitlab, id: 107, status: 'running', variables: [{ key: 'SNAPFLOW_SERVER', value: 'db' }] }),
    );
    expect(r.status).toBe(202);
    expect(r.body.jobs).toEqual([]);
    expect(r.body.reason).toContain('names server "db"');
    expect(await jobCount()).toBe(before);
  });
});

describe('GitHub workflow_run hooks (X-Hub-Signature-256)', () => {
  it('snapshots when the run starts and rolls back to it when it completes', async () => {
    const start = await deliver('github', githubWorkflowRun({ secret: SECRETS.github, action: 'in_progress', runId: 9001 }));
    expect(start.status).toBe(202);
    expect(start.body.event).toMatchObject({ event: 'workflow_run', project: 'octo-org/app', ref: 'main', pipelineId: '9001', status: 'in_progress' });
    const snap = start.body.jobs[0].id as string;
    const end = await deliver('github', githubWorkflowRun({ secret: SECRETS.github, action: 'completed', runId: 9001, conclusion: 'failure' }));
    expect(end.body.jobs).toEqual([expect.objectContaining({ rule: 'restore', kind: 'rollback' })]);
    const made = await succeeded(snap);
    const rolled = await succeeded(end.body.jobs[0].id);
    expect(rolled.result?.imageId).toBe(made.result?.imageId);
    expect(web.imageId).toBe(made.result?.imageId);
  }, 120_000);

  it('401 for a signature under another secret or over another body; ping and other events: 202, nothing started', async () => {
    const forged = await deliver('github', githubWorkflowRun({ secret: 'another-secret', action: 'in_progress', runId: 9002 }));
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({ code: 'bad_signature', field: 'X-Hub-Signature-256' });
    const d = githubWorkflowRun({ secret: SECRETS.github, action: 'in_progress', runId: 9002 });
    const tampered = await deliver('github', { ...d, body: d.body.replace('"run_number":163', '"run_number":164') });
    expect(tampered.status).toBe(401);
    const unsigned = { ...d, headers: { ...d.headers } };
    delete unsigned.headers['X-Hub-Signature-256'];
    expect((await deliver('github', unsigned)).status).toBe(401);

    const ping = { ...d, headers: { ...d.headers, 'X-GitHub-Event': 'ping' } };
    const pinged = await deliver('github', ping);
    expect(pinged.status).toBe(202);
    expect(pinged.body).toMatchObject({ jobs: [], reason: expect.stringMatching(/^ping/) });
    const noDelivery = { ...d, headers: { ...d.headers } };
    delete noDelivery.headers['X-GitHub-Delivery'];
    const r = await deliver('github', noDelivery);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('X-GitHub-Delivery');
  });
});

describe('the generic hook (HMAC over "<timestamp>.<body>")', () => {
  const deploy = { event: 'deploy', status: 'started', project: 'ops/site', ref: 'v1.2.3' };

  it('starts the rule’s job once per delivery id', async () => {
    const d = generic({ secret: SECRETS.generic, body: deploy });
    const first = await deliver('generic', d);
    expect(first.status).toBe(202);
    expect(first.body.jobs).toEqual([expect.objectContaining({ rule: 'before-deploy', kind: 'snapshot' })]);
    const again = await deliver('generic', d);
    expect(again.text).toBe(first.text);
    const made = await succeeded(first.body.jobs[0].id);
    expect(sim.state.images.get(made.result?.imageId as string)?.name).toBe('deploy-v1.2.3');
  }, 60_000);

  it('401 outside the replay window or under another secret; 400 naming the field of a bad body; 413 over the limit', async () => {
    const old = await deliver('generic', generic({ secret: SECRETS.generic, body: deploy, at: Date.now() - 10 * 60_000 }));
    expect(old.status).toBe(401);
    expect(old.body.error).toMatchObject({ code: 'replay_window', field: 'X-Snapflow-Timestamp' });
    const future = await deliver('generic', generic({ secret: SECRETS.generic, body: deploy, at: Date.now() + 10 * 60_000 }));
    expect(future.status).toBe(401);
    const forged = await deliver('generic', generic({ secret: 'not-the-secret', body: deploy }));
    expect(forged.body.error).toMatchObject({ code: 'bad_signature', field: 'X-Snapflow-Signature' });

    const bad = await deliver('generic', generic({ secret: SECRETS.generic, body: { event: 'deploy', status: 'started' } }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('project');
    const huge = await deliver('generic', generic({ secret: SECRETS.generic, body: { ...deploy, name: 'x'.repeat(1_100_000) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({ code: 'body_too_large', field: 'body' });
  });

  it('an event for a server no rule names, or that no rule matches: 202, nothing started', async () => {
    const before = await jobCount();
    const db = await deliver('generic', generic({ secret: SECRETS.generic, body: { ...deploy, server: 'db' } }));
    expect(db.status).toBe(202);
    expect(db.body.jobs).toEqual([]);
    const other = await deliver('generic', generic({ secret: SECRETS.generic, body: { ...deploy, status: 'finished' } }));
    expect(other.body.reason).toContain('status "finished" is not one of started');
    expect(await jobCount()).toBe(before);
  });
});

describe('secrets', () => {
  it('never reach the logs, the answers or the job table', async () => {
    const jobs = await svc.store.listJobs({ limit: 1000 });
    const events = await Promise.all(jobs.map((j) => svc.store.listEvents(j.id, 0, 1000)));
    const everything = JSON.stringify({ logs: svc.logs, jobs, events });
    expect(jobs.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    expect(jobs.every((j) => j.requestedBy?.startsWith('hook:ci-'))).toBe(true);
  });
});
