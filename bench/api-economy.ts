// `npx tsx bench/api-economy.ts`: what one snapflow snapshot and one rollback cost next to
// the openstack CLI doing the same thing.
//  (a) OpenStack calls per route against the in-repo simulator: snapflow (composeService +
//      app.request, simulator mode, a cold service per operation like a fresh CLI process)
//      versus the REAL `openstack` CLI pointed at the same simulator. Target: ratio <= 1x.
//  (b) Wall time against the REAL lab (skipped when its clouds.yaml is missing or
//      BENCH_LAB=0): POST -> job terminal via /wait versus the two CLI commands with --wait,
//      alternating, BENCH_ROUNDS (default 3) rounds, medians. Target: <= 0.4x.
//  (c, d) clone and move against the operators' procedure (openstack CLI + virt-sysprep):
//      calls on the simulator, wall time on the lab; see bench/lib/api-economy-cmr.ts.
//      Target: fewer calls, wall time <= 0.6x.
// Not a test: it prints figures and exits 0 unless something broke.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InProcessService, startInProcessService } from '../functions/in-process-service';
import { createUndiciTransport } from '../shared/node/undici-transport';
import { createOpenStackClient, type OpenStackClient } from '../shared/openstack/client';
import { loadCloudConfig } from '../shared/openstack/clouds-node';
import { serverImageId } from '../shared/openstack/compute-schemas';
import { createTokenCache } from '../shared/openstack/identity';
import { imageProperty } from '../shared/openstack/image-schemas';
import { orNull } from '../shared/openstack/or-null';
import { serverOutcome } from '../shared/openstack/outcomes';
import { waitFor, waitGone } from '../shared/openstack/poll';
import { startSimulator } from '../shared/sim/server';
import { cliEnv, cliRebuild, cliSnapshot } from './lib/api-cli';
import { cmrLabTimings, cmrSimulatorCounts } from './lib/api-economy-cmr-runs';
import { countsTable, median, type RouteCounts, ratio, secs, total } from './lib/api-report';

const LAB_CLOUDS = process.env.OS_CLIENT_CONFIG_FILE ?? '/var/tmp/oslab/clouds.yaml';
const LAB_CLOUD = process.env.BENCH_LAB_CLOUD ?? 'oslab';
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

async function runJob(api: InProcessService, body: Record<string, unknown>): Promise<{ ms: number; result: Record<string, unknown> }> {
  const t0 = performance.now();
  const id = await api.submit(body);
  const job = await api.wait(id, 600_000);
  const ms = performance.now() - t0;
  if (job.state !== 'succeeded') throw new Error(`${String(body.kind)} job ${id} ${job.state}: ${JSON.stringify(job.error)}`);
  return { ms, result: job.result ?? {} };
}

async function simulatorCounts(): Promise<void> {
  const sim = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-api-economy-'));
  const clouds = join(dir, 'clouds.yaml');
  writeFileSync(clouds, sim.cloudsYaml(), { mode: 0o600 });
  sim.state.addServer({ name: 'sf-web' });
  sim.state.addServer({ name: 'cli-web' });
  const env = { OS_CLIENT_CONFIG_FILE: clouds };
  const cold = () => startInProcessService({ env, cloudNames: ['sim'], mode: 'simulator' });

  /** One operation's calls: counters reset before, read after it finished. */
  const measure = async (f: () => Promise<unknown>): Promise<RouteCounts> => {
    sim.counters.reset();
    await f();
    return sim.counters.all();
  };

  try {
    let sfImage = '';
    const sfSnap = await measure(async () => {
      const api = await cold();
      try {
        sfImage = (await runJob(api, { kind: 'snapshot', cloud: 'sim', server: 'sf-web' })).result.imageId as string;
      } finally {
        await api.close();
      }
    });
    const sfRb = await measure(async () => {
      const api = await cold();
      try {
        await runJob(api, { kind: 'rollback', cloud: 'sim', server: 'sf-web', image: sfImage, confirm: true });
      } finally {
        await api.close();
      }
    });
    const sfLatest = await measure(async () => {
      const api = await cold();
      try {
        await runJob(api, { kind: 'rollback', cloud: 'sim', server: 'sf-web', image: 'latest', confirm: true });
      } finally {
        await api.close();
      }
    });
    const e = cliEnv(clouds, 'sim');
    let cliImage = '';
    const cliSnap = await measure(async () => {
      cliImage = (await cliSnapshot('cli-web', 'cli-web-snap', e)).imageId;
    });
    const cliRb = await measure(() => cliRebuild('cli-web', cliImage, e));

    console.log(countsTable('(a) snapshot: OpenStack calls (simulator)', { snapflow: sfSnap, cli: cliSnap }));
    console.log(`snapshot ratio snapflow/CLI: ${total(sfSnap)}/${total(cliSnap)} = ${ratio(total(sfSnap), total(cliSnap))}\n`);
    console.log(countsTable('(a) rollback: OpenStack calls (simulator)', { 'sf <id>': sfRb, 'sf latest': sfLatest, cli: cliRb }));
    console.log(
      `rollback ratio snapflow/CLI: ${total(sfRb)}/${total(cliRb)} = ${ratio(total(sfRb), total(cliRb))} (image by id, as the CLI); ` +
        `with image=latest: ${total(sfLatest)}/${total(cliRb)} = ${ratio(total(sfLatest), total(cliRb))}`,
    );
    const both = total(sfSnap) + total(sfRb);
    const bothCli = total(cliSnap) + total(cliRb);
    console.log(`snapshot+rollback ratio snapflow/CLI: ${both}/${bothCli} = ${ratio(both, bothCli)}\n`);
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Timings {
  sfSnap: number[];
  cliSnap: number[];
  sfRb: number[];
  cliRb: number[];
}

async function labTimings(): Promise<void> {
  if (process.env.BENCH_LAB === '0' || !existsSync(LAB_CLOUDS)) {
    console.log(`(b) skipped: no lab clouds.yaml at ${LAB_CLOUDS} (or BENCH_LAB=0)`);
    return;
  }
  const env = { ...process.env, OS_CLIENT_CONFIG_FILE: LAB_CLOUDS };
  const transport = createUndiciTransport();
  const os: OpenStackClient = createOpenStackClient(loadCloudConfig(LAB_CLOUD, { env }), {
    transport,
    tokenCache: createTokenCache(),
    userAgent: 'snapflow-bench',
  });
  const api = await startInProcessService({ env, cloudNames: [LAB_CLOUD], mode: 'cloud' });
  const name = `snapflow-bench-api-${randomBytes(3).toString('hex')}`;
  const made: string[] = [];
  let serverId = '';
  try {
    const [base] = await os.image.listAll({ filters: { name: 'oslab-base' } });
    serverId = (await os.compute.createServer({ name, flavor: 'm1.nano', imageRef: base!.id, networks: 'none' })).id;
    await waitFor(
      'bench server ACTIVE',
      () => os.compute.getServer(serverId),
      (s) => serverOutcome(s, 'ACTIVE'),
      { timeoutMs: 170_000 },
    );
    const e = cliEnv(LAB_CLOUDS, LAB_CLOUD);
    const t: Timings = { sfSnap: [], cliSnap: [], sfRb: [], cliRb: [] };

    const sfSnapshot = async () => {
      const r = await runJob(api, { kind: 'snapshot', cloud: LAB_CLOUD, server: name });
      made.push(r.result.imageId as string);
      t.sfSnap.push(r.ms);
      return r.result.imageId as string;
    };
    const cliSnap = async (round: number) => {
      const r = await cliSnapshot(name, `${name}-cli-${round}`, e);
      made.push(r.imageId);
      t.cliSnap.push(r.ms);
      return r.imageId;
    };
    const sfRollback = async (image: string) => t.sfRb.push((await runJob(api, { kind: 'rollback', cloud: LAB_CLOUD, server: name, image, confirm: true })).ms);
    const cliRb = async (image: string) => {
      t.cliRb.push((await cliRebuild(name, image, e)).ms);
      if (serverImageId(await os.compute.getServer(serverId)) !== image) throw new Error('CLI rebuild: server does not run the image');
    };

    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate who goes first, so a warming cache or a busy lab does not favour one side.
      if (round % 2) {
        const a = await sfSnapshot();
        const b = await cliSnap(round);
        await sfRollback(a);
        await cliRb(b);
      } else {
        const b = await cliSnap(round);
        const a = await sfSnapshot();
        await cliRb(b);
        await sfRollback(a);
      }
      const last = (xs: number[]) => secs(xs[xs.length - 1]!);
      console.log(`round ${round}: snapshot snapflow ${last(t.sfSnap)} / CLI ${last(t.cliSnap)}; rollback snapflow ${last(t.sfRb)} / CLI ${last(t.cliRb)}`);
    }
    const row = (what: string, sf: number[], cli: number[]) =>
      `${what.padEnd(10)} snapflow median ${secs(median(sf)).padStart(8)}   CLI median ${secs(median(cli)).padStart(8)}   ratio ` +
      `${ratio(median(sf), median(cli))}`;
    console.log(`\n== (b) wall time against the lab (${ROUNDS} rounds, alternating; target <= 0.40x)`);
    console.log(row('snapshot', t.sfSnap, t.cliSnap));
    console.log(row('rollback', t.sfRb, t.cliRb));
    const sum = (a: number[], b: number[]) => a.map((x, i) => x + b[i]!);
    console.log(row('both', sum(t.sfSnap, t.sfRb), sum(t.cliSnap, t.cliRb)));
  } finally {
    if (serverId) {
      await orNull(os.compute.deleteServer(serverId));
      await waitGone('bench server delete', () => os.compute.getServer(serverId), { timeoutMs: 170_000 }).catch((err) => console.error(String(err)));
      const tagged = (await os.image.listAll({ filters: { snapflow_server: serverId } })).filter((i) => imageProperty(i, 'snapflow_server') === serverId);
      for (const id of new Set([...made, ...tagged.map((i) => i.id)])) await orNull(os.image.delete(id));
    }
    await api.close();
    await transport.close();
  }
}

// BENCH_ONLY=cmr: only the clone and move comparison (c, d; BENCH_SIM=0: d only); BENCH_CMR=0: without it.
if (process.env.BENCH_ONLY !== 'cmr') {
  await simulatorCounts();
  await labTimings();
}
if (process.env.BENCH_CMR !== '0') {
  if (process.env.BENCH_SIM !== '0') await cmrSimulatorCounts();
  await cmrLabTimings(LAB_CLOUDS, LAB_CLOUD, process.env.BENCH_LAB_DEST ?? 'oslab-dest');
}
