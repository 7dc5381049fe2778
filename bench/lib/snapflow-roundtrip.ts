// Child process of bench/transfer.ts (its own process so that its peak RSS is snapflow's
// alone): downloads image SRC to FILE, then uploads FILE into the queued image DST, both
// through the client, hashes verified. Prints one JSON line; exit 2 on a hash mismatch.
//   node --import tsx bench/lib/snapflow-roundtrip.ts SRC DST FILE   (bench/transfer.ts runs a bundle of it)
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { createOpenStackClient } from '../../shared/openstack/client';
import { loadCloudConfig } from '../../shared/openstack/clouds-node';
import { IntegrityError } from '../../shared/openstack/errors';
import type { TransferSummary } from '../../shared/openstack/image';
import { readVmHwm } from './peak-rss';

export interface RoundtripReport {
  downloadMs: number;
  uploadMs: number;
  download: TransferSummary;
  upload: TransferSummary;
  /** Peak RSS of this process (VmHWM) over the whole run. */
  vmHwmKiB: number | undefined;
  /** VmHWM before the first image byte moved: Node + the client's modules + one auth (+ tsx when not bundled). */
  baselineKiB: number | undefined;
}

async function main(): Promise<void> {
  const [src, dst, file] = process.argv.slice(2);
  if (!src || !dst || !file) throw new Error('usage: snapflow-roundtrip.ts SRC_IMAGE DST_IMAGE FILE');
  const transport = createUndiciTransport();
  try {
    const client = createOpenStackClient(loadCloudConfig(process.env.OS_CLOUD ?? 'oslab'), { transport });
    // curl is handed a ready token, so authenticating is kept out of the timings. So is
    // Glance's first check of a new token (keystonemiddleware asks Keystone, then caches it):
    // measured 0.7-0.9 s on the lab, against ~4 ms for the next call. curl's token is the
    // runner's, which Glance validated long ago, so without this untimed call snapflow
    // alone would pay it inside its download timing.
    await client.identity.token();
    await client.image.get(src);
    const baselineKiB = readVmHwm('self');
    let t0 = performance.now();
    const download = await client.image.download(src, { path: file });
    const downloadMs = performance.now() - t0;
    t0 = performance.now();
    const upload = await client.image.upload(dst, { path: file });
    const uploadMs = performance.now() - t0;
    const report: RoundtripReport = { downloadMs, uploadMs, download, upload, vmHwmKiB: readVmHwm('self'), baselineKiB };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await transport.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exitCode = err instanceof IntegrityError ? 2 : 1;
});
