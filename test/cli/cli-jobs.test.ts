// `snapflow` submitting and waiting, run as the built binary against the real service on
// the simulator: each exit code of --wait / wait, --json, --dry-run, idempotency keys,
// the busy-server 409, and the confirmation of destructive kinds (piped and on a terminal).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_IMAGE, until } from '../workflows/harness';
import { type CliService, startCliService } from './cli-service';
import { type BuiltCli, buildCli, runCli, startCli } from './run-cli';

let cli: BuiltCli;
let svc: CliService;
let env: Record<string, string>;

beforeAll(async () => {
  [cli, svc] = await Promise.all([buildCli(), startCliService(['web', 'app', 'db', 'ro'])]);
  env = { SNAPFLOW_URL: svc.url, SNAPFLOW_TOKEN: svc.token, SNAPFLOW_CLOUD: 'sim' };
});
afterAll(async () => {
  await svc?.close();
  cli?.close();
});

const JOB_ID = /submitted \w+ job ([0-9a-f-]{36})/;
const idOf = (stdout: string) => {
  const m = JOB_ID.exec(stdout);
  if (!m) throw new Error(`no job id in: ${stdout}`);
  return m[1]!;
};

/** The job sits in its post-snapshot-hook step (held by the hook receiver). */
const inHookStep = (id: string) =>
  until(async () => {
    const j = await svc.svc.store.getJob(id);
    return j?.state === 'running' && j.step === 'post-snapshot-hook' ? j : null;
  }, 15_000);

describe('submit and wait', () => {
  it('snapshot --wait: exit 0, the outcome and the image it made', async () => {
    const r = await runCli(cli, ['snapshot', 'web', '--wait'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = idOf(r.stdout);
    expect(r.stdout).toContain(`snapshot job ${id} on sim/web succeeded`);
    const imageId = /imageId: (\S+)/.exec(r.stdout)?.[1];
    expect(svc.sim.state.raw.images.get(imageId!)?.props.snapflow_job).toBe(id);
  });

  it('--json --wait prints the finished job as one JSON document', async () => {
    const r = await runCli(cli, ['snapshot', 'web', '--wait', '--json', '--property', 'purpose=ci'], { env });
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout) as { id: string; state: string; timedOut: boolean; params: { properties: Record<string, string> } };
    expect(job).toMatchObject({ state: 'succeeded', timedOut: false, params: { properties: { purpose: 'ci' } } });
    expect((await svc.svc.store.getJob(job.id))?.state).toBe('succeeded');
  });

  it('a job that fails exits 1 and says at which step and why', async () => {
    svc.sim.faults.add({ route: CREATE_IMAGE, status: 403, times: 1 });
    const r = await runCli(cli, ['snapshot', 'app', '--wait'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/snapshot job \S+ on sim\/app failed after .*at create-image: /);
  });

  it('a cancelled job exits 3; wait --timeout exits 4 while the job goes on; a second submit for the busy server is a 409 naming the job', async () => {
    const release = svc.hook.hold('db');
    const waiting = startCli(cli, ['snapshot', 'db', '--wait'], { env });
    const id = idOf(await waiting.until(JOB_ID));
    await inHookStep(id);

    const busy = await runCli(cli, ['snapshot', 'db'], { env });
    expect(busy.code).toBe(7);
    expect(busy.stderr).toContain('conflict (409)');
    expect(busy.stderr).toContain(`snapflow wait ${id}`);
    expect(busy.stderr.trim().split('\n')).toHaveLength(1);

    const gaveUp = await runCli(cli, ['wait', id, '--timeout', '1'], { env });
    expect(gaveUp.code).toBe(4);
    expect(gaveUp.stdout).toContain(`snapshot job ${id} on sim/db is running (step post-snapshot-hook)`);
    expect(gaveUp.stderr).toContain('gave up waiting after 1 s');
    const gaveUpJson = await runCli(cli, ['wait', id, '--timeout', '1', '--json'], { env });
    expect(gaveUpJson.code).toBe(4);
    expect(JSON.parse(gaveUpJson.stdout)).toMatchObject({ id, state: 'running', timedOut: true });

    const cancel = await runCli(cli, ['cancel', id], { env });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`cancel requested: job ${id}`);
    release();
    const ended = await waiting.done;
    expect(ended.code).toBe(3);
    expect(ended.stdout).toContain(`snapshot job ${id} on sim/db cancelled`);
    expect((await runCli(cli, ['wait', id], { env })).code).toBe(3);
  });

  it('the same --idempotency-key submits once', async () => {
    const first = await runCli(cli, ['snapshot', 'web', '--idempotency-key', 'ci-run-42', '--json'], { env });
    expect(first.code).toBe(0);
    const { id } = JSON.parse(first.stdout) as { id: string };
    const again = await runCli(cli, ['snapshot', 'web', '--idempotency-key', 'ci-run-42', '--wait'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`snapshot job ${id} already submitted with this idempotency key`);
    expect(again.stdout).toContain(`snapshot job ${id} on sim/web succeeded`);
  });
});

describe('--dry-run', () => {
  it('shows the plan of steps and submits nothing', async () => {
    const before = (await svc.svc.store.listJobs({ limit: 200 })).length;
    const r = await runCli(cli, ['snapshot', 'web', '--stop', '--dry-run'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dry run: snapshot of sim/web would run (nothing was submitted):');
    expect(r.stdout).toMatch(/1\. resolve-server\n {2}2\. stop-server\n/);
    const json = await runCli(cli, ['rollback', 'web', '--image', 'latest', '--dry-run', '--json'], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, kind: 'rollback', plan: expect.arrayContaining(['rebuild-server']) });
    expect((await svc.svc.store.listJobs({ limit: 200 })).length).toBe(before);
  });

  it('prune --dry-run lists what would be deleted and deletes nothing', async () => {
    const images = () => [...svc.sim.state.raw.images.values()].filter((i) => (i.name ?? '').startsWith('web-snap-'));
    const count = images().length;
    expect(count).toBeGreaterThan(1);
    const r = await runCli(cli, ['prune', 'web', '--keep', '1', '--dry-run'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dry run: prune of sim/web would delete ${count - 1} image(s) (nothing was deleted`);
    expect(r.stdout.match(/^ {2}delete /gm)).toHaveLength(count - 1);
    expect(r.stdout.match(/^ {2}keep /gm)).toHaveLength(1);
    expect(images()).toHaveLength(count);
  });
});

describe('confirmation of destructive kinds', () => {
  it('without a terminal and without --yes: exit 2, nothing submitted', async () => {
    const before = (await svc.svc.store.listJobs({ limit: 200 })).length;
    const r = await runCli(cli, ['rollback', 'web', '--image', 'latest', '--wait'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not confirmed: pass --yes');
    expect((await svc.svc.store.listJobs({ limit: 200 })).length).toBe(before);
  });

  it('on a terminal: "n" submits nothing, "y" rolls back', async () => {
    const before = (await svc.svc.store.listJobs({ limit: 200 })).length;
    const no = await runCli(cli, ['rollback', 'web', '--image', 'latest'], { env, tty: true, input: 'n\n' });
    expect(no.code).toBe(2);
    expect(no.stdout).toContain('Roll back sim/web to image "latest"? The server is rebuilt and its disk replaced. [y/N]');
    expect((await svc.svc.store.listJobs({ limit: 200 })).length).toBe(before);

    const yes = await runCli(cli, ['rollback', 'web', '--image', 'latest', '--wait'], { env, tty: true, input: 'y\n' });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/rollback job \S+ on sim\/web succeeded/);
  });

  it('--yes confirms without asking', async () => {
    const args = ['rollback', 'web', '--image', 'latest', '--keep-images', '--export-format', 'raw', '--yes', '--wait', '--json'];
    const r = await runCli(cli, args, { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'rollback',
      state: 'succeeded',
      params: { confirm: true, image: 'latest', keepImages: true, exportDiskFormat: 'raw' },
    });
  });
});

describe('discard', () => {
  it('refuses a server snapflow did not make (exit 7, saying why); --from-job sends the job, and a job that is not a clone fails (exit 1)', async () => {
    const untagged = await runCli(cli, ['discard', 'db', '--yes'], { env });
    expect(untagged.code).toBe(7);
    expect(untagged.stderr).toMatch(/^snapflow: rejected \(422 not_made_by_snapflow\): server: \S+ \(db\) was not made by snapflow/);

    const snap = await runCli(cli, ['snapshot', 'app', '--wait', '--json'], { env });
    const snapshotId = JSON.parse(snap.stdout).id as string;
    const r = await runCli(cli, ['discard', 'app', '--from-job', snapshotId, '--yes', '--wait', '--json'], { env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'discard',
      state: 'failed',
      params: { server: 'app', fromJob: snapshotId, confirm: true },
      error: { code: 'not_a_clone', step: 'resolve-discard' },
    });
  });
});
