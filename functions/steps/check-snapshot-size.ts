// A move's sanity check before anything leaves the source project: the snapshot must not
// be empty, not be larger than the flavor's disk could hold, and be within a factor of the
// earlier snapflow snapshots of the same server when there are any. For a volume-backed
// server the snapshot image holds no bytes: its export is checked, and not against the
// flavor (the root volume, not the flavor, sets that disk's size). A snapshot that fails
// this is a broken copy (an upload cut short, the wrong disk): the job fails before the
// runner, and the source is left as it was (started again if the job stopped it).
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, permanent, RETRY } from '../workflows/step-support';
import { findServerSnapshots } from '../workflows/tags';

const GiB = 1024 ** 3;
/** qcow2 metadata on top of a full disk. */
const DISK_SLACK = 1.1;
/** Disks grow and shrink between snapshots, but not by an order of magnitude in one go. */
const HISTORY_FACTOR = 10;

const input = z.object({
  cloud: z.string(),
  serverId: z.string(),
  imageId: z.string(),
  imageSize: z.number().nullable(),
  exportImageId: z.string().optional(),
  exportImageSize: z.number().nullable().optional(),
  source: z.object({ flavorDisk: z.number().nullable() }),
});
const output = z.object({ sizeCheck: z.object({ bytes: z.number(), flavorDiskBytes: z.number().nullable(), earlierMedian: z.number().nullable() }) });

export type SizeVerdict = { ok: true } | { ok: false; why: string };

/** The pure rule (tested on its own). */
export function judgeSnapshotSize(bytes: number | null, flavorDiskGiB: number | null, earlier: readonly number[]): SizeVerdict {
  if (!bytes || bytes <= 0) return { ok: false, why: 'the snapshot is empty' };
  if (flavorDiskGiB && bytes > flavorDiskGiB * GiB * DISK_SLACK) {
    return { ok: false, why: `the snapshot (${bytes} bytes) is larger than the flavor's ${flavorDiskGiB} GiB disk` };
  }
  const median = medianOf(earlier);
  if (median !== null && (bytes > median * HISTORY_FACTOR || bytes * HISTORY_FACTOR < median)) {
    return { ok: false, why: `the snapshot (${bytes} bytes) is not within a factor ${HISTORY_FACTOR} of the earlier snapshots (median ${median} bytes)` };
  }
  return { ok: true };
}

function medianOf(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function checkSnapshotSizeStep(deps: WorkflowDeps) {
  return step({
    name: 'check-snapshot-size',
    input,
    output,
    retry: RETRY.read,
    timeout: 60_000,
    async run(ctx) {
      const { serverId, source } = ctx.input;
      const exported = ctx.input.exportImageId !== undefined;
      const imageId = ctx.input.exportImageId ?? ctx.input.imageId;
      const imageSize = exported ? (ctx.input.exportImageSize ?? null) : ctx.input.imageSize;
      const earlier = (await findServerSnapshots(onCloud(deps, ctx), serverId))
        .filter((i) => i.id !== ctx.input.imageId && i.status === 'active' && typeof i.size === 'number' && i.size > 0)
        .map((i) => i.size as number);
      const flavorDisk = exported ? null : source.flavorDisk;
      const verdict = judgeSnapshotSize(imageSize, flavorDisk, earlier);
      if (!verdict.ok) return fail(permanent(`size check of snapshot ${imageId}: ${verdict.why}; the source is left in place`, { code: 'snapshot_size' }));
      return done({ sizeCheck: { bytes: imageSize!, flavorDiskBytes: flavorDisk ? flavorDisk * GiB : null, earlierMedian: medianOf(earlier) } });
    },
  });
}
