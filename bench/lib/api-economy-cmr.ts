// bench/api-economy.ts, clone and move: snapflow (the service and a real snapflow-runner
// process) against the operators' procedure scripted with the `openstack` CLI and
// virt-sysprep (image create --wait, image save, virt-sysprep, image create --file, server
// create --wait, image delete; for a move: stop and the 5 s status polls an operator does
// by hand, the upload and create with the destination's credentials, server delete).
//  (c) OpenStack calls against the simulator (runner with the tool doubles, the CLI with the
//      virt-sysprep double): everything both sides send is counted by the simulator.
//  (d) Wall time on the lab with the real tools, in the same run, one round each.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { cliEnv, runCli } from './api-cli';
import { countsTable, type RouteCounts, ratio, secs, total } from './api-report';

const BIN = fileURLToPath(new URL('../../runner/bin/snapflow-runner.mjs', import.meta.url));
const TOKEN = 'bench-cmr-runner-token-0123456789';

export interface CmrSide {
  cloudsFile: string;
  source: string;
  dest: string;
  flavor: string;
  /** virt-sysprep to run by hand (the double on the simulator, the real one on the lab) */
  virtSysprep: string;
  /** runner `tools` / `libguestfs` settings */
  runnerConfig: Record<string, unknown>;
  sysprepEnv: NodeJS.ProcessEnv;
}

export interface Running {
  api: InProcessService;
  stop(): Promise<void>;
}

/** The service (cloud or simulator mode) with one snapflow-runner process. */
export async function serviceWithRunner(side: CmrSide, mode: 'simulator' | 'cloud'): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-bench-cmr-'));
  const api = await startInProcessService({
    env: { ...process.env, OS_CLIENT_CONFIG_FILE: side.cloudsFile },
    cloudNames: [side.source, side.dest],
    mode,
    configFile: { runner: { leaseTtl: '30s' } },
    tokens: [{ name: 'bench-runner', sha256: await sha256Hex(TOKEN), scopes: ['runner'], targets: [] }],
    claimRecheckMs: 200,
  });
  const configFile = join(dir, 'runner.yaml');
  writeFileSync(
    configFile,
    stringify({
      serviceUrl: await api.listen(),
      runnerId: 'bench-runner',
      scratchDir: join(dir, 'scratch'),
      cloudsFile: side.cloudsFile,
      claimWaitSeconds: 5,
      ...side.runnerConfig,
    }),
  );
  const runner: ChildProcess = spawn(process.execPath, [BIN, '--config', configFile], {
    env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin`, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: TOKEN, SNAPFLOW_RUNNER_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    api,
    async stop() {
      if (runner.exitCode === null) {
        runner.kill('SIGTERM');
        await new Promise((ok) => runner.once('exit', ok));
      }
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function sfJob(
  api: InProcessService,
  body: Record<string, unknown>,
): Promise<{ ms: number; result: Record<string, unknown>; phases: [string, number][] }> {
  const t0 = performance.now();
  const id = await api.submit(body);
  const job = await api.wait(id, 1_800_000);
  if (job.state !== 'succeeded') throw new Error(`${String(body.kind)} job ${id} ${job.state}: ${JSON.stringify(job.error)}`);
  const ms = performance.now() - t0;
  // each step's span: from the commit before it to its own step.done (waits included)
  const events = await api.store.listEvents(id);
  const phases: [string, number][] = [];
  let last = events[0]?.at ?? 0;
  for (const e of events) {
    if (e.type !== 'step.done' || e.step === null) continue;
    phases.push([e.step, e.at - last]);
    last = e.at;
  }
  return { ms, result: job.result ?? {}, phases };
}

/** Time spent per phase, for the wall-time lines (`lap('snapshot')` after each command). */
export function laps(): { lap(name: string): void; phases: [string, number][] } {
  const phases: [string, number][] = [];
  let last = performance.now();
  return {
    phases,
    lap(name) {
      const t = performance.now();
      phases.push([name, t - last]);
      last = t;
    },
  };
}

export function printPhases(who: string, phases: readonly [string, number][]): void {
  const shown = phases.filter(([, ms]) => ms >= 50).map(([n, ms]) => `${n} ${secs(ms)}`);
  console.log(`         ${who.padEnd(9)} ${shown.join(', ')}`);
}

const run = promisify(execFile);

async function sysprep(side: CmrSide, file: string, args: string[]): Promise<void> {
  await run(side.virtSysprep, ['--format', 'qcow2', '-a', file, ...args], {
    env: { ...process.env, ...side.sysprepEnv },
    timeout: 900_000,
    maxBuffer: 16 << 20,
  });
}

const id = (r: { stdout: string }) => r.stdout.trim();

/** The clone an operator types: snapshot, save, full virt-sysprep, upload with os=LINUX, boot, delete the images. */
export async function handClone(side: CmrSide, server: string, newName: string, t = laps()): Promise<number> {
  const e = cliEnv(side.cloudsFile, side.source);
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-hand-'));
  const file = join(dir, 'disk.qcow2');
  const t0 = performance.now();
  try {
    const snap = id(await runCli(['server', 'image', 'create', '--wait', '--name', `${newName}-snap`, '-f', 'value', '-c', 'id', server], e));
    t.lap('image create --wait');
    await runCli(['image', 'save', '--file', file, snap], e);
    t.lap('image save');
    await sysprep(side, file, ['--delete', '/etc/krb5.keytab']);
    t.lap('virt-sysprep');
    const cleanArgs = ['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--property', 'os=LINUX', '--file', file];
    const clean = id(await runCli([...cleanArgs, '-f', 'value', '-c', 'id', `${newName}-clean`], e));
    t.lap('image create --file');
    await runCli(['--os-compute-api-version', '2.37', 'server', 'create', '--flavor', side.flavor, '--image', clean, '--nic', 'none', '--wait', newName], e);
    t.lap('server create --wait');
    await runCli(['image', 'delete', snap, clean], e);
    t.lap('image delete');
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The move an operator types: stop (polling the status every 5 s), snapshot, save, limited
 * virt-sysprep, upload and boot in the destination, delete the source and the images.
 */
export async function handMove(side: CmrSide, server: string): Promise<number> {
  const e = cliEnv(side.cloudsFile, side.source);
  const d = cliEnv(side.cloudsFile, side.dest);
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-hand-'));
  const file = join(dir, 'disk.qcow2');
  const t0 = performance.now();
  try {
    await runCli(['server', 'stop', server], e);
    for (let i = 0; ; i++) {
      if (id(await runCli(['server', 'show', '-f', 'value', '-c', 'status', server], e)) === 'SHUTOFF') break;
      if (i > 120) throw new Error(`${server} did not stop`);
      await new Promise((ok) => setTimeout(ok, 5_000));
    }
    const snap = id(await runCli(['server', 'image', 'create', '--wait', '--name', `${server}-snap`, '-f', 'value', '-c', 'id', server], e));
    await runCli(['image', 'save', '--file', file, snap], e);
    await sysprep(side, file, ['--enable', 'udev-persistent-net,net-hwaddr,customize', '--delete', '/etc/krb5.keytab']);
    const cleanArgs = ['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', file];
    const clean = id(await runCli([...cleanArgs, '-f', 'value', '-c', 'id', `${server}-moved`], d));
    await runCli(['--os-compute-api-version', '2.37', 'server', 'create', '--flavor', side.flavor, '--image', clean, '--nic', 'none', '--wait', server], d);
    await runCli(['server', 'delete', '--wait', server], e);
    await runCli(['image', 'delete', snap], e);
    await runCli(['image', 'delete', clean], d);
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printCounts(what: string, sf: RouteCounts, hand: RouteCounts): void {
  console.log(countsTable(`(c) ${what}: OpenStack calls (simulator, runner and CLI included)`, { snapflow: sf, hand: hand }));
  console.log(`${what} ratio snapflow/hand: ${total(sf)}/${total(hand)} = ${ratio(total(sf), total(hand))}\n`);
}

export function printWall(what: string, sf: number, hand: number): void {
  console.log(`${what.padEnd(6)} snapflow ${secs(sf).padStart(9)}   hand (CLI + virt-sysprep) ${secs(hand).padStart(9)}   ratio ${ratio(sf, hand)}`);
}
