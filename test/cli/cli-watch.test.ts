// `snapflow watch` (and --watch) on a pseudo-terminal and through a pipe, with a transfer's
// byte progress; and the read commands (jobs, show, events, snapshots, schedules). The
// progress is what the sysprep runner's heartbeats record: written here with the job's
// own lease while the job is held in its post-snapshot-hook step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../workflows/harness';
import { type CliService, startCliService } from './cli-service';
import { type BuiltCli, buildCli, runCli, startCli } from './run-cli';

let cli: BuiltCli;
let svc: CliService;
let env: Record<string, string>;

beforeAll(async () => {
  [cli, svc] = await Promise.all([buildCli(), startCliService(['web', 'app'])]);
  env = { SNAPFLOW_URL: svc.url, SNAPFLOW_TOKEN: svc.token, SNAPFLOW_CLOUD: 'sim' };
});
afterAll(async () => {
  await svc?.close();
  cli?.close();
});

const MiB = 1024 * 1024;
const JOB_ID = /submitted \w+ job ([0-9a-f-]{36})/;
const ESC = '\x1b';

/** Holds a snapshot of `server` in its hook step and reports upload progress through it. */
async function watchWithProgress(server: string, tty: boolean) {
  const release = svc.hook.hold(server);
  const run = startCli(cli, ['snapshot', server, '--watch'], { env, tty });
  const id = JOB_ID.exec(await run.until(JOB_ID))![1]!;
  const job = await until(async () => {
    const j = await svc.svc.store.getJob(id);
    return j?.state === 'running' && j.step === 'post-snapshot-hook' ? j : null;
  }, 15_000);
  const report = (done: number) => svc.svc.store.heartbeat(id, job.leaseOwner!, 60_000, { phase: 'upload', done, total: 1024 * MiB });
  expect(await report(256 * MiB)).toBe(true);
  await run.until('256.0 MiB / 1.00 GiB');
  expect(await report(768 * MiB)).toBe(true);
  await run.until(/768\.0 MiB \/ 1\.00 GiB,? [\d.]+ MiB\/s/);
  release();
  return { id, result: await run.done };
}

describe('watch', () => {
  it('on a terminal: a line per step, a live progress bar with bytes and rate, the outcome', async () => {
    const { id, result } = await watchWithProgress('web', true);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`watching snapshot job ${id} on sim/web`);
    expect(out).toMatch(/✓ create-image/);
    expect(out).toMatch(/✓ wait-image-active {2}(waited )?\d/);
    expect(out).toMatch(/upload \[[█░]+\] 25% 256\.0 MiB \/ 1\.00 GiB/);
    expect(out).toMatch(/upload \[[█░]+\] 75% 768\.0 MiB \/ 1\.00 GiB [\d.]+ MiB\/s/);
    // the finished transfer's bar leaves a line behind
    expect(out).toMatch(/ {2}upload 768\.0 MiB \/ 1\.00 GiB, [\d.]+ MiB\/s\r?\n/);
    expect(out).toContain(`${ESC}[2K`);
    expect(out).toContain(`snapshot job ${id} on sim/web succeeded`);
  });

  it('through a pipe: plain lines, progress by tenths, no terminal control', async () => {
    const { id, result } = await watchWithProgress('app', false);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).not.toContain(ESC);
    expect(out).toMatch(/step\.done create-image: create-image done \[req-/);
    expect(out).toMatch(/\+\S+ +upload 25% 256\.0 MiB \/ 1\.00 GiB\n/);
    expect(out).toMatch(/\+\S+ +upload 75% 768\.0 MiB \/ 1\.00 GiB, [\d.]+ MiB\/s\n/);
    expect(out).toMatch(new RegExp(`\\nsnapshot job ${id} on sim/app succeeded in [^\\n]+\\n {2}imageId: \\S+\\n`));
  });

  it('--json: the events as JSON lines, then the job', async () => {
    const done = await runCli(cli, ['snapshot', 'web', '--wait', '--json'], { env });
    const { id } = JSON.parse(done.stdout) as { id: string };
    const r = await runCli(cli, ['watch', id, '--json'], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.slice(0, -1);
    expect(events[0]).toMatchObject({ type: 'submitted' });
    expect(events.map((e) => e.seq)).toEqual((await svc.svc.store.listEvents(id, 0, 1000)).map((e) => e.seq));
    expect(lines.at(-1)).toMatchObject({ id, state: 'succeeded' });
  });
});

describe('read commands', () => {
  let jobId = '';
  beforeAll(async () => {
    const r = await runCli(cli, ['snapshot', 'web', '--wait', '--json'], { env });
    jobId = (JSON.parse(r.stdout) as { id: string }).id;
  });

  it('jobs: a table, filters, and --all following the cursor into one document', async () => {
    const table = await runCli(cli, ['jobs', '--state', 'succeeded', '--server', 'web'], { env });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +KIND +STATE +STEP +TARGET +CREATED +TOOK +BY$/);
    expect(table.stdout).toMatch(new RegExp(`${jobId} +snapshot +succeeded +delete-images +sim/web `));
    const page = await runCli(cli, ['jobs', '--limit', '1'], { env });
    expect(page.stdout).toContain('(more jobs: --all lists every page)');
    const all = await runCli(cli, ['jobs', '--limit', '1', '--all', '--json'], { env });
    const doc = JSON.parse(all.stdout) as { jobs: { id: string }[]; next: null };
    expect(doc.next).toBeNull();
    expect(doc.jobs.map((j) => j.id).sort()).toEqual((await svc.svc.store.listJobs({ limit: 200 })).map((j) => j.id).sort());
  });

  it('show and events: the job, its history with the OpenStack request ids', async () => {
    const show = await runCli(cli, ['show', jobId], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`snapshot job ${jobId} on sim/web succeeded`);
    expect(show.stdout).toMatch(/ {4}imageId: \S+/);
    const events = await runCli(cli, ['events', jobId], { env });
    expect(events.stdout).toMatch(/step\.done create-image: create-image done \[req-\S+ req-\S+\]/);
    const json = JSON.parse((await runCli(cli, ['events', jobId, '--json'], { env })).stdout) as { events: { seq: number }[] };
    expect(json.events.length).toBe((await svc.svc.store.listEvents(jobId, 0, 1000)).length);
  });

  it('snapshots and schedules', async () => {
    const snaps = await runCli(cli, ['snapshots', 'web'], { env });
    expect(snaps.code).toBe(0);
    const imageId = (await svc.svc.store.getJob(jobId))!.result!.imageId as string;
    expect(snaps.stdout).toMatch(new RegExp(`${imageId} +web-snap-\\S+ +active +web +- +\\S+ +1\\.00 MiB +${jobId}`));
    const json = JSON.parse((await runCli(cli, ['snapshots', 'web', '--cloud', 'sim', '--json'], { env })).stdout) as { snapshots: { id: string }[] };
    expect(json.snapshots.map((s) => s.id)).toContain(imageId);
    const schedules = await runCli(cli, ['schedules'], { env });
    expect(schedules).toMatchObject({ code: 0, stdout: 'no schedules\n' });
    const run = await runCli(cli, ['schedules', 'run', 'nightly'], { env });
    expect(run.code).toBe(7);
    expect(run.stderr).toBe('snapflow: not found (404 not_found): schedule "nightly" not found\n');
  });
});
