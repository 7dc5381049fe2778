// The clone/move halves of bench/api-economy.ts (c: calls on the simulator, d: wall time on
// the lab); the two sides are in api-economy-cmr.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { createOpenStackClient, type OpenStackClient } from '../../shared/openstack/client';
import { loadCloudConfig } from '../../shared/openstack/clouds-node';
import { exactNameFilter } from '../../shared/openstack/nova-name';
import { orNull } from '../../shared/openstack/or-null';
import { serverOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { startSimulator } from '../../shared/sim/server';
import { type CmrSide, handClone, handMove, laps, printCounts, printPhases, printWall, serviceWithRunner, sfJob } from './api-economy-cmr';
import type { RouteCounts } from './api-report';
import { fakeTools } from './runner-doubles/fake-tools';
import { fakeQcow2 } from './runner-doubles/harness';

// ../shared from the main checkout, ../../shared from a worktree under /work/wt
const SCRIPT = 'shared/lab/sysprep/make-test-image.sh';
const MAKE_TEST_IMAGE =
  process.env.SNAPFLOW_MAKE_TEST_IMAGE ?? [join(process.cwd(), '..', SCRIPT), join(process.cwd(), '..', '..', SCRIPT)].find((p) => existsSync(p)) ?? SCRIPT;

export async function cmrSimulatorCounts(): Promise<void> {
  const sim = await startSimulator();
  const tools = fakeTools();
  tools.set({ sysprepMs: 10 });
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-api-economy-cmr-'));
  const cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(cloudsFile, sim.cloudsYaml(), { mode: 0o600 });
  const side: CmrSide = {
    cloudsFile,
    source: 'sim',
    dest: 'sim-dest',
    flavor: 'm1.nano',
    virtSysprep: tools.tools.virtSysprep,
    runnerConfig: { tools: tools.tools },
    sysprepEnv: {},
  };
  const source = (name: string) => {
    const image = sim.state.addImage({ name: `${name}-base`, diskFormat: 'qcow2' }, fakeQcow2(200_000));
    sim.state.addServer({ name, imageId: image.id });
  };
  const measure = async (f: () => Promise<unknown>): Promise<RouteCounts> => {
    sim.counters.reset();
    await f();
    return sim.counters.all();
  };
  for (const n of ['sf-clone', 'hand-clone', 'sf-move', 'hand-move']) source(n);
  try {
    const cold = async (body: Record<string, unknown>) => {
      const svc = await serviceWithRunner(side, 'simulator');
      try {
        await sfJob(svc.api, body);
      } finally {
        await svc.stop();
      }
    };
    const sfClone = await measure(() => cold({ kind: 'clone', cloud: 'sim', server: 'sf-clone', newName: 'sf-clone-2', deletePaths: ['/etc/krb5.keytab'] }));
    const hClone = await measure(() => handClone(side, 'hand-clone', 'hand-clone-2'));
    printCounts('clone', sfClone, hClone);
    const sfMove = await measure(() => cold({ kind: 'move', cloud: 'sim', server: 'sf-move', to: { cloud: 'sim-dest' }, deleteSource: true, confirm: true }));
    const hMove = await measure(() => handMove(side, 'hand-move'));
    printCounts('move', sfMove, hMove);
  } finally {
    await sim.close();
    tools.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function cmrLabTimings(cloudsFile: string, cloud: string, dest: string): Promise<void> {
  if (process.env.BENCH_LAB === '0' || !existsSync(cloudsFile)) {
    console.log(`(d) skipped: no lab clouds.yaml at ${cloudsFile} (or BENCH_LAB=0)`);
    return;
  }
  const env = { ...process.env, OS_CLIENT_CONFIG_FILE: cloudsFile };
  const transport = createUndiciTransport();
  const os: OpenStackClient = createOpenStackClient(loadCloudConfig(cloud, { env }), { transport, userAgent: 'snapflow-bench' });
  const osDest: OpenStackClient = createOpenStackClient(loadCloudConfig(dest, { env }), { transport, userAgent: 'snapflow-bench' });
  const libguestfs = { backend: process.env.LIBGUESTFS_BACKEND || 'direct', backendSettings: ['force_tcg'] };
  // The guest's data (MiB of filler): moving a disk's bytes is where the CLI's 1 KiB reads
  // and the runner's streaming differ. The lab's compute driver uploads a snapshot's bytes
  // only up to 64 MiB (shared/lab/openstack/README.md), so the default stays below that;
  // bench/runner.ts measures the transfers with 1 GiB images. 0: the bare guest.
  const fillMb = Number(process.env.BENCH_CMR_FILL_MB ?? '48');
  if (!(Number.isInteger(fillMb) && fillMb >= 0)) throw new Error('BENCH_CMR_FILL_MB: expected an integer >= 0');
  const flavor = fillMb > 0 ? 'm1.small' : 'm1.nano';
  const side: CmrSide = {
    cloudsFile,
    source: cloud,
    dest,
    flavor,
    virtSysprep: 'virt-sysprep',
    runnerConfig: { libguestfs, timeouts: { sysprep: '15m', verify: '15m', qemuImg: '2m' }, headroom: { minBytes: '256MiB', fraction: 0.1 } },
    sysprepEnv: { LIBGUESTFS_BACKEND: libguestfs.backend, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' },
  };
  const tag = `snapflow-bench-cmr-${Date.now().toString(36)}`;
  const names = ['sf-c', 'hand-c', 'sf-m', 'hand-m'].map((n) => `${tag}-${n}`);
  const svc = await serviceWithRunner(side, 'cloud');
  const work = mkdtempSync(join(tmpdir(), 'snapflow-bench-cmr-image-'));
  try {
    // a guest virt-sysprep recognises (the lab's base image is not one)
    const file = join(work, 'el8.qcow2');
    const size = fillMb > 0 ? ['--size', `${Math.ceil((fillMb + 512) / 1024)}G`, '--fill-mb', String(fillMb)] : [];
    execFileSync('bash', [MAKE_TEST_IMAGE, file, '--variant', 'el8', ...size], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    });
    const base = await os.image.create({ name: `${tag}-base`, disk_format: 'qcow2', container_format: 'bare' });
    await os.image.upload(base.id, { path: file });
    for (const n of names) {
      const { id } = await os.compute.createServer({ name: n, flavor, imageRef: base.id, networks: 'none' });
      await waitFor(
        `${n} ACTIVE`,
        () => os.compute.getServer(id),
        (s) => serverOutcome(s, 'ACTIVE'),
        { timeoutMs: 170_000 },
      );
    }
    const [sfC, handC, sfM, handM] = names as [string, string, string, string];
    console.log(`== (d) wall time against the lab, real virt-sysprep on both sides, a guest with ${fillMb} MiB of data (target <= 0.60x)`);
    const sfClone = await sfJob(svc.api, { kind: 'clone', cloud, server: sfC, newName: `${sfC}-2`, deletePaths: ['/etc/krb5.keytab'] });
    const handLaps = laps();
    const hClone = await handClone(side, handC, `${handC}-2`, handLaps);
    printWall('clone', sfClone.ms, hClone);
    printPhases('snapflow', sfClone.phases);
    printPhases('hand', handLaps.phases);
    const hMove = await handMove(side, handM);
    const sfMove = await sfJob(svc.api, { kind: 'move', cloud, server: sfM, to: { cloud: dest }, deleteSource: true, confirm: true });
    printWall('move', sfMove.ms, hMove);
    printPhases('snapflow', sfMove.phases);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await svc.stop();
    for (const client of [os, osDest]) {
      for (const s of await client.compute.listAllServers({ filters: { name: `^${exactNameFilter(tag).slice(1, -1)}` } }).catch(() => [])) {
        await orNull(client.compute.deleteServer(s.id));
        await waitGone(`${s.name} delete`, () => client.compute.getServer(s.id), { timeoutMs: 170_000 }).catch((err) => console.error(String(err)));
      }
      for (const i of await client.image.listAll().catch(() => [])) if (i.name?.startsWith(tag)) await orNull(client.image.delete(i.id));
    }
    await transport.close();
  }
}
