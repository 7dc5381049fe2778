// The move's size sanity rule on its own: empty, larger than the flavor's disk, or out of
// line with the server's earlier snapshots is refused; the rest passes.
import { describe, expect, it } from 'vitest';
import { judgeSnapshotSize } from '../../functions/steps/check-snapshot-size';

const GiB = 1024 ** 3;

describe('judgeSnapshotSize', () => {
  it('refuses an empty snapshot or one without a size', () => {
    expect(judgeSnapshotSize(0, 20, [])).toMatchObject({ ok: false, why: expect.stringContaining('empty') });
    expect(judgeSnapshotSize(null, 20, [])).toMatchObject({ ok: false });
  });

  it("refuses one larger than the flavor's disk could hold, with a little qcow2 slack", () => {
    expect(judgeSnapshotSize(1 * GiB, 1, [])).toEqual({ ok: true });
    expect(judgeSnapshotSize(2 * GiB, 1, [])).toMatchObject({ ok: false, why: expect.stringContaining('1 GiB disk') });
    // no disk size known (old microversion): no upper bound from the flavor
    expect(judgeSnapshotSize(200 * GiB, null, [])).toEqual({ ok: true });
  });

  it('compares with the median of earlier snapshots, within a factor of ten either way', () => {
    const earlier = [100e6, 120e6, 5e6];
    expect(judgeSnapshotSize(110e6, 20, earlier)).toEqual({ ok: true });
    expect(judgeSnapshotSize(5e6, 20, earlier)).toMatchObject({ ok: false, why: expect.stringContaining('median 100000000') });
    expect(judgeSnapshotSize(1.5e9, 20, earlier)).toMatchObject({ ok: false });
  });
});
