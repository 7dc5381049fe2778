// Peak RSS of the snapflow-runner process through one whole task, for a 1 GiB and a 4 GiB
// image, with and without Node's --liftoff-only (the systemd unit uses it). The runner runs
// as deployed (the esbuild bundle behind runner/bin/snapflow-runner.mjs) against the in-repo
// simulator and a double of the service; qemu-img, virt-sysprep and guestfish are the test
// doubles, so what is measured is the runner itself: download, hashing, upload, its logs.
// The simulator runs in this process on the same cores, so the MB/s figures are the
// simulator's as much as the runner's; bench/transfer.ts measures transfers against the lab.
//
//   npx tsx bench/runner-memory.ts [sizes in MiB, default 1024,4096]

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createUndiciTransport } from '../shared/node/undici-transport';
import { createOpenStackClient } from '../shared/openstack/client';
import { loadCloudConfig } from '../shared/openstack/clouds-node';
import { startSimulator } from '../shared/sim/server';
import { readVmHwm } from './lib/peak-rss';
import { writePrngFile } from './lib/prng-file';
import { fakeTools } from './lib/runner-doubles/fake-tools';
import { taskFor } from './lib/runner-doubles/harness';
import { startServiceDouble } from './lib/runner-doubles/service-double';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sizesMiB = (process.argv[2] ?? '1024,4096').split(',').map(Number);

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-bins.mjs'), 'snapflow-runner'], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-runner-bench-'));
  const sim = await startSimulator();
  const service = await startServiceDouble({ ttlSeconds: 60 });
  const tools = fakeTools();
  const cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(cloudsFile, sim.cloudsYaml());
  const transport = createUndiciTransport();
  const source = createOpenStackClient(loadCloudConfig('sim', { env: { OS_CLIENT_CONFIG_FILE: cloudsFile } }), { transport });
  try {
    console.log('size      node flags        peak RSS   download   upload     (MB/s against the in-process simulator)');
    for (const mib of sizesMiB) {
      const file = join(dir, 'source.raw');
      await writePrngFile(file, mib * 1024 * 1024);
      const created = await source.image.create({ name: `bench-${mib}`, disk_format: 'raw', container_format: 'bare' });
      await source.image.upload(created.id, { path: file });
      rmSync(file);
      const image = await source.image.get(created.id);
      for (const flags of [['--liftoff-only'], []]) {
        const scratchDir = join(dir, 'scratch');
        const config = join(dir, 'runner.yaml');
        writeFileSync(
          config,
          stringify({ serviceUrl: service.url, scratchDir, cloudsFile, claimWaitSeconds: 5, tools: tools.tools, headroom: { minBytes: 0 } }),
        );
        const runner = spawn(process.execPath, [...flags, join(ROOT, 'runner/bin/snapflow-runner.mjs'), '--config', config], {
          env: { PATH: process.env.PATH, HOME: process.env.HOME, SNAPFLOW_RUNNER_TOKEN: service.token },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        runner.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
        const task = taskFor(image);
        service.enqueue(task);
        await service.waitFor((c) => c.taskId === task.id && (c.route === 'complete' || c.route === 'fail'), 30 * 60_000);
        await new Promise((ok) => setTimeout(ok, 200)); // the runner logs its end after the report
        const peakKiB = readVmHwm(runner.pid);
        runner.kill('SIGTERM');
        await new Promise((ok) => runner.once('exit', ok));
        const end = out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { msg: string; phaseMs?: Record<string, number> })
          .find((l) => l.msg === 'task completed');
        if (!end?.phaseMs) throw new Error(`the task did not complete:\n${out.slice(-2000)}`);
        const rate = (ms: number | undefined) => (ms ? ((mib * 1024 * 1024) / 1e6 / (ms / 1000)).toFixed(0) : '?');
        console.log(
          `${String(mib).padStart(5)} MiB  ${(flags.join(' ') || '(none)').padEnd(16)}  ${String(Math.round((peakKiB ?? 0) / 1024)).padStart(4)} MiB   ` +
            `${rate(end.phaseMs.download).padStart(5)}      ${rate(end.phaseMs.upload).padStart(5)}`,
        );
        rmSync(scratchDir, { recursive: true, force: true });
      }
      await source.image.delete(created.id);
    }
  } finally {
    await transport.close();
    await service.close();
    await sim.close();
    tools.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
