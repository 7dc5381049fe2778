import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { requiredBytes, SpaceLedger, statfsFree } from '../../runner/space';
import { TaskError } from '../../runner/task-error';

// The free-space check: the image plus headroom from its virtual size, and tasks side by side
// counting each other's reservations less what they have already written.

const GiB = 1024 ** 3;

describe('space check', () => {
  it('needs the image plus the larger of the minimum headroom and a share of the virtual size', () => {
    const headroom = { minBytes: 1 * GiB, fraction: 0.1 };
    expect(requiredBytes({ size: 2 * GiB, virtualSize: 40 * GiB }, headroom)).toBe(6 * GiB);
    expect(requiredBytes({ size: 2 * GiB, virtualSize: 4 * GiB }, headroom)).toBe(3 * GiB);
    // no virtual size from Glance: the image size stands in for it
    expect(requiredBytes({ size: 20 * GiB, virtualSize: null }, headroom)).toBe(22 * GiB);
  });

  it('counts what running tasks were promised and have not written yet', async () => {
    const ledger = new SpaceLedger('/scratch', async () => 10 * GiB);
    let writtenA = 0;
    const releaseA = await ledger.reserve(6 * GiB, () => writtenA);
    const refused = await ledger.reserve(6 * GiB, () => 0).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TaskError);
    expect(refused).toMatchObject({ code: 'insufficient_space', retryable: false });
    expect((refused as Error).message).toBe('scratch directory /scratch: needs 6.00 GiB, 4.00 GiB free (6.00 GiB of it promised to running tasks)');
    // A wrote 3 GiB, which statfs no longer shows as free; only the rest of its promise counts
    writtenA = 3 * GiB;
    const ledger2 = new SpaceLedger('/scratch', async () => 7 * GiB);
    const releaseA2 = await ledger2.reserve(6 * GiB, () => writtenA);
    await expect(ledger2.reserve(4 * GiB, () => 0)).resolves.toBeTypeOf('function');
    releaseA2();
    releaseA();
    await expect(ledger.reserve(10 * GiB, () => 0)).resolves.toBeTypeOf('function');
  });

  it('checks one reservation at a time, so two tasks cannot count the same bytes', async () => {
    const ledger = new SpaceLedger('/scratch', async () => 10 * GiB);
    const both = await Promise.allSettled([ledger.reserve(6 * GiB, () => 0), ledger.reserve(6 * GiB, () => 0)]);
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('reads the free bytes of a real directory', async () => {
    expect(await statfsFree(tmpdir())).toBeGreaterThan(0);
  });
});
