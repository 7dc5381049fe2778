// One runner task end to end against the lab, and the operator's tools on the same bytes, in
// the same run: the real service (in this process, SQLite) queues the task of a job's
// clean-image step; the deployed runner (the esbuild bundle, node --liftoff-only, real
// qemu-img, virt-sysprep and guestfish; one process for the whole bench, as a runner lives
// in service) downloads the image from the source project, cleans it and uploads it into
// the target project. Rounds alternate the order of the runner and the tools.
//   - download and verify: the runner's transfer (request to verified file, from its log) vs
//     `curl … | tee FILE | sha512sum` (target ≥ 0.9×) and `openstack image save` (≥ 3×);
//     its whole download phase (logins, listings, space check) is printed too;
//   - upload: the runner's (create, stream while hashing, compare Glance's digest, mark
//     verified) vs `curl -T` of the same file, bytes only (target ≥ 0.9×);
//   - the task's wall time (the service's claim to its complete) in the runner's phases, and
//     the runner's own overhead: what no phase accounts for (target ≤ 5%);
//   - the runner's VmHWM after the 1 GiB tasks and after a 4 GiB sparse raw one (target
//     ≤ 128 MiB, flat).
// The first round is the runner's first task (its logins to both clouds fall in it): the
// runner's medians are over the later rounds.
//   OS_CLIENT_CONFIG_FILE=/var/tmp/oslab/clouds.yaml npx tsx bench/runner.ts [--rounds 3] [--cloud oslab] [--dest oslab-dest]
// MB = 10^6 bytes. Every image it makes is deleted, also on Ctrl-C.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type InProcessService, startInProcessService } from '../functions/in-process-service';
import { sha256Hex } from '../shared/auth/hash';
import { createUndiciTransport } from '../shared/node/undici-transport';
import { createOpenStackClient } from '../shared/openstack/client';
import { loadCloudConfig } from '../shared/openstack/clouds-node';
import { imageProperty } from '../shared/openstack/image-schemas';
import { CLEAN_KIND, cleanWorkflow } from './lib/clean-workflow';
import { readVmHwm } from './lib/peak-rss';
import { curlPut, curlTeeSha512, makeTestImage, openstackImageSave } from './lib/runner-baselines';
import { formatSize, mbps, median, RATIO_TARGET, RSS_TARGET_MIB } from './lib/transfer-report';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'runner/bin/snapflow-runner.mjs');
const PHASES = ['download', 'check', 'amend', 'sysprep', 'verify', 'upload'] as const;
const arg = (flag: string, dflt: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const rounds = Number(arg('--rounds', '3'));
const cloud = arg('--cloud', process.env.OS_CLOUD ?? 'oslab');
const dest = arg('--dest', 'oslab-dest');
const TOKEN = `bench-runner-${process.pid}-0123456789`;

const dir = mkdtempSync(join(tmpdir(), 'snapflow-runner-bench-'));
const transport = createUndiciTransport();
const source = createOpenStackClient(loadCloudConfig(cloud), { transport });
const target = createOpenStackClient(loadCloudConfig(dest), { transport });
const made = { source: new Set<string>(), target: new Set<string>() };
let api: InProcessService | undefined;
let stopRunner: (() => Promise<void>) | undefined;
const legOpts = { timeoutMs: 600_000, rssFile: join(dir, 'rss.txt') };

interface TaskRun {
  phaseMs: Partial<Record<(typeof PHASES)[number], number>>;
  /** The transfers alone (download: to the verified file; upload: from create to the verified mark). */
  transferMs: { download: number; upload: number };
  wallMs: number;
  /** The runner's VmHWM after the task (monotonic over the process). */
  peakKiB: number;
}

async function cleanup(): Promise<void> {
  await stopRunner?.();
  await Promise.all([
    ...[...made.source].map((id) => source.image.delete(id).catch((e: Error) => console.error(`could not delete ${id}: ${e.message}`))),
    ...[...made.target].map((id) => target.image.delete(id).catch((e: Error) => console.error(`could not delete ${id}: ${e.message}`))),
  ]);
  await api?.close();
  await transport.close();
  rmSync(dir, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

async function fixture(label: string, file: string, diskFormat: 'qcow2' | 'raw') {
  const img = await source.image.create({ name: `snapflow-bench-${process.pid}-${label}`, disk_format: diskFormat, container_format: 'bare' });
  made.source.add(img.id);
  await source.image.upload(img.id, { path: file });
  rmSync(file);
  return source.image.get(img.id);
}

interface LogLine {
  msg: string;
  taskId?: string;
  durationMs?: number;
  phaseMs?: TaskRun['phaseMs'];
}

/** The deployed runner, one process for the whole bench (its tokens stay cached, as in service). */
function startRunner(configFile: string) {
  const proc = spawn(process.execPath, ['--liftoff-only', BIN, '--config', configFile], {
    env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin`, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const lines = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine);
  return {
    proc,
    lines,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((ok) => proc.once('exit', ok));
    },
  };
}
type Runner = ReturnType<typeof startRunner>;

/** One task through the service and the runner: its phases, transfers, wall time, and the runner's VmHWM after it. */
async function runTask(runner: Runner, label: string, imageId: string): Promise<TaskRun> {
  const params = { cloud, server: 'bench-web', imageId, targetCloud: dest, targetName: `snapflow-bench-${process.pid}-${label}`, mode: 'full' as const };
  const jobId = (await api!.service.engine.submit(CLEAN_KIND, params)).job.id;
  const job = await api!.wait(jobId, 1_800_000);
  for (const i of await target.image.listAll()) if (imageProperty(i, 'snapflow_job') === jobId) made.target.add(i.id);
  if (job.state !== 'succeeded') throw new Error(`${label}: job ${job.state}: ${JSON.stringify(job.error)}`);
  const task = (await api!.store.findRunnerTask(jobId, 'clean-image', `${cloud}/${imageId}`))!;
  const mine = (msg: string) => runner.lines().find((l) => l.msg === msg && l.taskId === task.id);
  // it logs the end right after its report
  for (let i = 0; i < 100 && !mine('task completed'); i++) await new Promise((r) => setTimeout(r, 50));
  const [end, down, up] = [mine('task completed'), mine('download done'), mine('upload done')];
  if (!end?.phaseMs || down?.durationMs === undefined || up?.durationMs === undefined) throw new Error(`${label}: the runner's log lacks the task's end`);
  return {
    phaseMs: end.phaseMs,
    transferMs: { download: down.durationMs, upload: up.durationMs },
    wallMs: task.finishedAt! - task.claimedAt!,
    peakKiB: readVmHwm(runner.proc.pid) ?? NaN,
  };
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-bins.mjs'), 'snapflow-runner'], { stdio: 'inherit' });
  console.log(
    `snapflow runner bench — ${new Date().toISOString()}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`command: npx tsx bench/runner.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  makeTestImage(join(dir, 'one.qcow2'), '--variant', 'el8', '--size', '1152M', '--fill-mb', '960');
  makeTestImage(join(dir, 'four.qcow2'), '--variant', 'el8', '--size', '4G');
  execFileSync('qemu-img', ['convert', '-O', 'raw', join(dir, 'four.qcow2'), join(dir, 'four.raw')]);
  rmSync(join(dir, 'four.qcow2'));
  const one = await fixture('1g', join(dir, 'one.qcow2'), 'qcow2');
  const four = await fixture('4g-sparse', join(dir, 'four.raw'), 'raw');
  const bytes = one.size!;
  console.log(
    `images: ${formatSize(bytes)} qcow2 (${bytes} bytes, el8 with incompressible data), ${formatSize(four.size!)} raw (sparse: an el8 file system, zeros)`,
  );

  api = await startInProcessService({
    cloudNames: [cloud, dest],
    mode: 'cloud',
    configFile: { runner: { leaseTtl: '60s' } },
    tokens: [{ name: 'bench-runner', sha256: await sha256Hex(TOKEN), scopes: ['runner'], targets: [] }],
    workflows: (deps, r) => [cleanWorkflow(deps, r)],
  });
  const configFile = join(dir, 'runner.yaml');
  const settings = process.env.LIBGUESTFS_BACKEND_SETTINGS;
  writeFileSync(
    configFile,
    stringify({
      serviceUrl: await api.listen(),
      runnerId: 'bench-runner',
      scratchDir: join(dir, 'scratch'),
      cloudsFile: process.env.OS_CLIENT_CONFIG_FILE,
      claimWaitSeconds: 5,
      headroom: { minBytes: '256MiB', fraction: 0.1 },
      libguestfs: { backend: 'direct', backendSettings: settings !== undefined ? settings.split(':').filter(Boolean) : ['force_tcg'] },
    }),
  );
  const runner = startRunner(configFile);
  stopRunner = () => runner.stop();
  const glance = (await source.identity.endpoint('image')).replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
  const headerFile = join(dir, 'auth-header');
  const file = join(dir, 'baseline.bin');

  const legs: Record<'tee' | 'save' | 'put', number[]> = { tee: [], save: [], put: [] };
  const runs: TaskRun[] = [];
  const s1 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  for (let r = 0; r < rounds; r++) {
    const baselines = async () => {
      writeFileSync(headerFile, `X-Auth-Token: ${(await source.identity.token()).value}\n`, { mode: 0o600 });
      legs.tee.push((await curlTeeSha512(glance, headerFile, one.id, file, one.os_hash_value!, legOpts)).ms);
      rmSync(file);
      legs.save.push((await openstackImageSave(cloud, one.id, file, legOpts)).ms);
      const put = await target.image.create({ name: `snapflow-bench-${process.pid}-put-${r}`, disk_format: 'qcow2', container_format: 'bare' });
      made.target.add(put.id);
      writeFileSync(headerFile, `X-Auth-Token: ${(await target.identity.token()).value}\n`, { mode: 0o600 });
      legs.put.push((await curlPut({ glance, headerFile, src: one.id, dst: put.id, file }, legOpts)).ms);
      rmSync(file);
      await target.image.delete(put.id);
      made.target.delete(put.id);
    };
    if (r % 2 === 1) await baselines();
    const t = await runTask(runner, `1g-${r}`, one.id);
    runs.push(t);
    for (const id of made.target) await target.image.delete(id).then(() => made.target.delete(id));
    if (r % 2 === 0) await baselines();
    console.log(
      `round ${r + 1}${r === 0 ? " (the runner's first task: its logins fall in it)" : ''}: curl|tee|sha512sum ${s1(legs.tee[r]!)}, ` +
        `openstack image save ${s1(legs.save[r]!)}, curl -T ${s1(legs.put[r]!)}; ` +
        `runner: download ${s1(t.transferMs.download)}, upload ${s1(t.transferMs.upload)}, ` +
        `task ${s1(t.wallMs)} ${JSON.stringify(t.phaseMs)}, VmHWM ${(t.peakKiB / 1024).toFixed(0)} MiB`,
    );
  }
  const big = await runTask(runner, '4g', four.id);
  for (const id of made.target) await target.image.delete(id).then(() => made.target.delete(id));
  await runner.stop();
  console.log(
    `4 GiB sparse raw: download ${s1(big.transferMs.download)}, upload ${s1(big.transferMs.upload)}, task ${s1(big.wallMs)} ${JSON.stringify(big.phaseMs)}, ` +
      `VmHWM ${(big.peakKiB / 1024).toFixed(0)} MiB`,
  );

  // a deployed runner is a long-lived process: its first task's logins are not what it costs per task
  const warm = runs.length > 1 ? runs.slice(1) : runs;
  const med = (f: (t: TaskRun) => number) => median(warm.map(f));
  const down = mbps(
    bytes,
    med((t) => t.transferMs.download),
  );
  const downPhase = mbps(
    bytes,
    med((t) => t.phaseMs.download ?? NaN),
  );
  const up = mbps(
    bytes,
    med((t) => t.transferMs.upload),
  );
  const [tee, save, put] = [mbps(bytes, median(legs.tee)), mbps(bytes, median(legs.save)), mbps(bytes, median(legs.put))];
  const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');
  console.log(
    `\nmedians (runner: rounds 2-${rounds} of ${rounds}; tools: all rounds), ${formatSize(bytes)}, load now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}:`,
  );
  console.log(`download and verify  runner ${down.toFixed(0)} MB/s (its whole download phase, checks and listings included: ${downPhase.toFixed(0)} MB/s)`);
  console.log(
    `                     vs curl|tee|sha512sum ${tee.toFixed(0)} MB/s -> ${(down / tee).toFixed(2)}x ` +
      `(${verdict(down / tee >= RATIO_TARGET)} >= ${RATIO_TARGET}x)`,
  );
  console.log(
    `                     vs openstack image save ${save.toFixed(0)} MB/s -> ${(down / save).toFixed(2)}x ` +
      `(${verdict(down / save >= 3)} >= 3x); phase vs save ${(downPhase / save).toFixed(2)}x`,
  );
  console.log(
    `upload               runner ${up.toFixed(0)} MB/s (create, stream, Glance's digest compared, marked verified) vs curl -T ${put.toFixed(0)} MB/s -> ` +
      `${(up / put).toFixed(2)}x (${verdict(up / put >= RATIO_TARGET)} >= ${RATIO_TARGET}x)`,
  );
  const wall = med((t) => t.wallMs);
  const shares = PHASES.map((p) => [p, med((t) => t.phaseMs[p] ?? 0)] as const).filter(([, ms]) => ms > 0);
  const overhead = med((t) => t.wallMs - PHASES.reduce((sum, p) => sum + (t.phaseMs[p] ?? 0), 0));
  console.log(
    `task wall time       ${s1(wall)} (the service's claim to its complete): ` +
      `${shares.map(([p, ms]) => `${p} ${((ms / wall) * 100).toFixed(1)}%`).join(', ')}; ` +
      `runner overhead ${((overhead / wall) * 100).toFixed(2)}% (${overhead.toFixed(0)} ms; ${verdict(overhead / wall <= 0.05)} <= 5%)`,
  );
  const [peak1, peak4] = [Math.max(...runs.map((t) => t.peakKiB)) / 1024, big.peakKiB / 1024];
  console.log(
    `peak RSS (VmHWM)     after the 1 GiB tasks ${peak1.toFixed(0)} MiB, after the 4 GiB one ${peak4.toFixed(0)} MiB ` +
      `(${verdict(Math.max(peak1, peak4) <= RSS_TARGET_MIB)} <= ${RSS_TARGET_MIB} MiB; +${(peak4 - peak1).toFixed(0)} MiB for 4x the bytes)`,
  );
}

try {
  await main();
} finally {
  await cleanup();
}
