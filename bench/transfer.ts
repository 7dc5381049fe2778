// Image transfer throughput and memory of snapflow's Glance client against plain curl, on
// the real lab Glance. One fixture image (deterministic incompressible bytes) is uploaded
// once; then, alternating the order each round, each method downloads it to a file and
// uploads that file into a new image, which is checked and deleted right away. curl is
// reported twice from the same transfers: bytes only, and with the operator's hash checks.
// The snapflow leg runs as plain node on an esbuild bundle (see lib/bundle-child.ts).
//   npx tsx bench/transfer.ts [--size 1G] [--rounds 3] [--cloud oslab]
// Needs OS_CLIENT_CONFIG_FILE (e.g. /var/tmp/oslab/clouds.yaml); the cloud defaults to
// $OS_CLOUD, then "oslab". Medians of the rounds are reported; MB = 10^6 bytes.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUndiciTransport } from '../shared/node/undici-transport';
import { createOpenStackClient } from '../shared/openstack/client';
import { loadCloudConfig } from '../shared/openstack/clouds-node';
import type { Image } from '../shared/openstack/image-schemas';
import { bundleChild, type ChildCommand } from './lib/bundle-child';
import { type CurlArgs, curlDownloadArgs, curlRoundtrip, VerifyMismatch } from './lib/curl-roundtrip';
import { hashCeilingMBps } from './lib/hash-ceiling';
import { hasGnuTime, runMeasured } from './lib/peak-rss';
import { type FileDigests, writePrngFile } from './lib/prng-file';
import type { RoundtripReport } from './lib/snapflow-roundtrip';
import { formatSize, mbps, median, roundLine, type Sample, summarise } from './lib/transfer-report';

class HashMismatch extends Error {
  override name = 'HashMismatch';
}

function parseArgs(argv: string[]): { size: number; rounds: number; cloud: string } {
  const out = { size: 1024 ** 3, rounds: 3, cloud: process.env.OS_CLOUD ?? 'oslab' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--size') out.size = parseSize(value);
    else if (flag === '--rounds') out.rounds = Number(value);
    else if (flag === '--cloud') out.cloud = value;
    else throw new Error(`unknown option ${flag} (known: --size, --rounds, --cloud)`);
  }
  if (!Number.isInteger(out.rounds) || out.rounds < 1 || out.rounds > 50) throw new Error('--rounds must be 1..50');
  return out;
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) throw new Error(`--size ${s}: expected e.g. 1G, 256M, 1073741824`);
  const n = Math.round(Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
  if (n < 1 || n > 64 * 1024 ** 3) throw new Error('--size must be between 1 byte and 64 GiB');
  return n;
}

const opts = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: npx tsx bench/transfer.ts [--size 1G] [--rounds 3] [--cloud oslab]`);
    process.exit(64);
  }
})();
const here = fileURLToPath(new URL('.', import.meta.url));
const childScript = join(here, 'lib', 'snapflow-roundtrip.ts');
const dir = mkdtempSync(join(tmpdir(), 'snapflow-transfer-'));
const transport = createUndiciTransport();
const client = createOpenStackClient(loadCloudConfig(opts.cloud), { transport });
const images = new Set<string>();
const children = new Set<ChildProcess>();
// Generous: a leg slower than 2 MB/s plus a minute is stuck, not slow.
const legTimeoutMs = 60_000 + opts.size / 2_000;

let cleaning: Promise<void> | undefined;
let interrupted = false;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) c.kill('SIGTERM');
    // In parallel: a second Ctrl-C (or tsx's SIGKILL fallback) may not leave time for a queue.
    await Promise.all(
      [...images].map((id) =>
        client.image.delete(id).then(
          () => images.delete(id),
          (err: unknown) => console.error(`cleanup: could not delete image ${id}: ${(err as Error).message}`),
        ),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
    await transport.close().catch(() => undefined);
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: tsx relays the terminal's signal again, and a second one must not kill us mid-cleanup.
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: cleaning up (images: ${images.size})…`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function newImage(label: string): Promise<Image> {
  const img = await client.image.create({
    name: `snapflow-bench-${process.pid}-${label}`,
    disk_format: 'raw',
    container_format: 'bare',
  });
  images.add(img.id);
  return img;
}

async function dropImage(id: string): Promise<void> {
  await client.image.delete(id);
  images.delete(id);
}

/** Glance's view of an uploaded copy must equal the source, whoever uploaded it. */
async function checkCopy(id: string, want: FileDigests, who: string): Promise<void> {
  const img = await client.image.get(id);
  if (img.os_hash_value !== want.sha512 || img.checksum !== want.md5 || img.size !== want.bytes) {
    throw new HashMismatch(
      `${who}: image ${id} has size ${img.size}, md5 ${img.checksum}, sha512 ${img.os_hash_value?.slice(0, 16)}…; want ${want.bytes}, ${want.md5}, ` +
        `${want.sha512.slice(0, 16)}…`,
    );
  }
}

async function glanceRoot(): Promise<string> {
  return (await client.identity.endpoint('image')).replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
}

async function writeHeaderFile(path: string): Promise<void> {
  // Re-read per run: the cached token is renewed when close to expiry.
  writeFileSync(path, `X-Auth-Token: ${(await client.identity.token()).value}\n`, { mode: 0o600 });
}

async function runSnapflow(child: ChildCommand, src: string, dst: string, file: string, round: number): Promise<Sample> {
  const run = await runMeasured(process.execPath, [...child.args, src, dst, file], {
    env: { ...process.env, OS_CLOUD: opts.cloud },
    timeoutMs: 2 * legTimeoutMs + 30_000,
    rssFile: join(dir, 'rss.txt'),
    onSpawn: (c) => {
      children.add(c);
      c.on('close', () => children.delete(c));
    },
  });
  if (run.code === 2) throw new HashMismatch(`snapflow: ${run.stderr.trim()}`);
  if (run.code !== 0) throw new Error(`snapflow child failed (exit ${run.code ?? run.signal}): ${run.stderr.trim()}`);
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as RoundtripReport;
  // The child's own VmHWM (GNU time agrees on the bundle; under tsx it would also count tsx's esbuild helper).
  return { method: 'snapflow', round, downloadMs: r.downloadMs, uploadMs: r.uploadMs, peakRssKiB: r.vmHwmKiB ?? run.peakRssKiB, baselineKiB: r.baselineKiB };
}

async function main(): Promise<number> {
  const started = new Date();
  const load0 = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const glance = await glanceRoot();
  const headerFile = join(dir, 'auth-header');
  console.log(`snapflow transfer bench — ${started.toISOString()}`);
  console.log(`command: npx tsx bench/transfer.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`cloud ${opts.cloud}, Glance ${glance}, payload ${formatSize(opts.size)} (${opts.size} bytes, AES-CTR keystream), ${opts.rounds} rounds`);
  console.log(`peak RSS: snapflow = VmHWM of its node process (read by itself at the end); curl = ${hasGnuTime() ? 'GNU time %M' : 'VmHWM polling'}`);
  console.log(`temp dir ${dir}`);
  const child = await bundleChild(childScript, dir);
  console.log(`snapflow leg: ${child.how.replace(childScript, relative(process.cwd(), childScript))}\n`);

  const src = join(dir, 'source.bin');
  let t0 = performance.now();
  const digests = await writePrngFile(src, opts.size);
  console.log(`source written in ${((performance.now() - t0) / 1000).toFixed(1)} s (sha512 ${digests.sha512.slice(0, 16)}…, md5 ${digests.md5})`);
  const fixture = await newImage('fixture');
  t0 = performance.now();
  await client.image.upload(fixture.id, { path: src }, { expected: { sha512: digests.sha512, md5: digests.md5 } });
  console.log(`fixture image ${fixture.id} uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  rmSync(src); // only the fixture image is needed from here on

  const samples: Sample[] = [];
  const tools: { sha512sum: number[] } = { sha512sum: [] };
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate who goes first so that warm caches or Glance drift favour neither.
    const order = round % 2 === 0 ? (['snapflow', 'curl'] as const) : (['curl', 'snapflow'] as const);
    for (const method of order) {
      const dst = await newImage(`${method}-${round + 1}`);
      const file = join(dir, `download-${method}.bin`);
      const got: Sample[] = [];
      if (method === 'snapflow') {
        got.push(await runSnapflow(child, fixture.id, dst.id, file, round));
      } else {
        await writeHeaderFile(headerFile);
        const c = await curlRoundtrip(
          { glance, headerFile, src: fixture.id, dst: dst.id, file },
          {
            timeoutMs: legTimeoutMs,
            rssFile: join(dir, 'rss.txt'),
            onSpawn: (ch) => {
              children.add(ch);
              ch.on('close', () => children.delete(ch));
            },
          },
        );
        const peak = (a: number | undefined, b: number | undefined) => Math.max(a ?? 0, b ?? 0) || undefined;
        got.push(
          { method, round, downloadMs: c.download.ms, uploadMs: c.upload.ms, peakRssKiB: peak(c.download.peakRssKiB, c.upload.peakRssKiB) },
          {
            method: 'curl+verify',
            round,
            downloadMs: c.downloadVerified.ms,
            uploadMs: c.uploadVerified.ms,
            peakRssKiB: peak(c.downloadVerified.peakRssKiB, c.uploadVerified.peakRssKiB),
          },
        );
        tools.sha512sum.push(c.toolMs.sha512sum, c.toolMs.sha512sumUpload);
      }
      await checkCopy(dst.id, digests, method);
      rmSync(file, { force: true });
      await dropImage(dst.id);
      samples.push(...got);
      for (const s of got) console.log(roundLine(s, opts.size));
    }
  }

  const ceiling = hashCeilingMBps();
  const summary = summarise(samples, opts.size);
  const show: CurlArgs = { glance, headerFile: '<0600 file: X-Auth-Token>', src: '<fixture>', dst: '<new image>', file: '<file>' };
  console.log(`\nmedian of ${opts.rounds} rounds, ${formatSize(opts.size)}:`);
  for (const l of summary.lines) console.log(l);
  console.log("\nsnapflow computes Glance's multihash (sha512) of the bytes while streaming, on both legs, and checks it");
  console.log('against os_hash_value (one image GET per leg), as `openstack image save` does; md5 only for images without');
  console.log('a multihash. Every uploaded copy (all methods) was checked afterwards against the source sha512, md5 and');
  console.log('size, outside the timings.');
  console.log(`hash tool over the ${formatSize(opts.size)} file (page cache, median): sha512sum ${mbps(opts.size, median(tools.sha512sum)).toFixed(0)} MB/s`);
  console.log(
    `hashing ceiling, one core, no I/O: sha512 ${ceiling.sha512.toFixed(0)} MB/s, md5 ${ceiling.md5.toFixed(0)} MB/s, both ${ceiling.both.toFixed(0)} MB/s` +
      `; load average now ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${availableParallelism()} CPUs (was ${load0} at start)`,
  );
  console.log(`snapflow leg: ${child.how.replace(childScript, relative(process.cwd(), childScript))} <fixture> <new image> <file>`);
  console.log(`curl download: curl ${curlDownloadArgs(show).join(' ')}`);
  console.log(
    `curl upload:   curl -sS -f -X PUT -H @<0600 file: X-Auth-Token> -H 'Content-Type: application/octet-stream' -T <file> -o /dev/null ` +
      `${glance}/v2/images/<new image>/file`,
  );
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  code = err instanceof HashMismatch || err instanceof VerifyMismatch ? 2 : 1;
  // After Ctrl-C the failure is just the killed child: not worth a message.
  if (!interrupted) console.error(`\n${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
} finally {
  await cleanup();
}
process.exit(interrupted ? 130 : code);
