import { describe, expect, it } from 'vitest';
import { jobRequestSchema, pruneParamsSchema, rollbackParamsSchema, serverLockKey, snapshotParamsSchema } from '../../functions/workflows/params';
import { planRetention } from '../../functions/workflows/retention';

const paths = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) => r.error?.issues.map((i) => i.path.join('.'));

describe('job submission schemas (v1)', () => {
  it('parses the three kinds with their defaults', () => {
    expect(jobRequestSchema.parse({ kind: 'snapshot', cloud: 'prod', server: 'web' })).toEqual({
      kind: 'snapshot',
      cloud: 'prod',
      server: 'web',
      stop: false,
      properties: {},
      policy: 'manual',
      dryRun: false,
    });
    expect(jobRequestSchema.parse({ kind: 'rollback', cloud: 'prod', server: 'web', image: 'latest', confirm: true })).toMatchObject({
      allowForeignImage: false,
    });
    expect(jobRequestSchema.parse({ kind: 'prune', cloud: 'prod', server: 'web', keep: 7, maxAgeDays: 30, dryRun: true })).toMatchObject({
      policy: 'manual',
      keep: 7,
      maxAgeDays: 30,
      dryRun: true,
    });
    // the engine's params accept the body with or without kind
    expect(snapshotParamsSchema.parse({ cloud: 'c', server: 's' }).kind).toBe('snapshot');
  });

  it('rejects unknown fields, reserved properties, a missing or false confirm, and a prune without a rule', () => {
    expect(paths(jobRequestSchema.safeParse({ kind: 'snapshot', cloud: 'c', server: 's', kepp: 3 }))).toEqual(['']);
    expect(paths(snapshotParamsSchema.safeParse({ cloud: 'c', server: 's', properties: { snapflow_job: 'x' } }))).toEqual(['properties']);
    expect(paths(rollbackParamsSchema.safeParse({ cloud: 'c', server: 's', image: 'latest' }))).toEqual(['confirm']);
    expect(paths(rollbackParamsSchema.safeParse({ cloud: 'c', server: 's', image: 'latest', confirm: 'yes' }))).toEqual(['confirm']);
    expect(paths(pruneParamsSchema.safeParse({ cloud: 'c', server: 's' }))).toEqual(['keep']);
    expect(paths(pruneParamsSchema.safeParse({ cloud: 'c', server: 's', keep: 0 }))).toEqual(['keep']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'clone', cloud: 'c', server: 's' }))).toEqual(['newName']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'copy', cloud: 'c', server: 's' }))).toEqual(['kind']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'clone', cloud: 'c', server: 's', newName: 'n', deletePaths: ['etc/x'] }))).toEqual(['deletePaths.0']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'move', cloud: 'c', server: 's', to: { cloud: 'd' }, keepHostname: true }))).toEqual(['confirm']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'move', cloud: 'c', server: 's', to: { cloud: 'c' } }))).toEqual(['to.cloud']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'rename', cloud: 'c', server: 's', newName: 'bad_name', confirm: true }))).toEqual(['newName']);
    expect(paths(jobRequestSchema.safeParse({ kind: 'rename', cloud: 'c', server: 's', newName: 'ok' }))).toEqual(['confirm']);
    expect(serverLockKey({ cloud: 'prod', server: 'web' })).toBe('prod/web');
  });
});

describe('planRetention', () => {
  const now = 1_800_000_000_000;
  const img = (id: string, daysAgo: number, status = 'active') => ({ id, name: id, status, createdAt: now - daysAgo * 86_400_000, volumeSnapshotIds: [] });

  it('never deletes the newest active snapshot, even when every rule selects it', () => {
    const plan = planRetention([img('a', 40), img('b', 50)], { maxAgeDays: 30 }, new Map(), now);
    expect(plan.kept.map((i) => i.id)).toEqual(['a']);
    expect(plan.toDelete.map((i) => i.id)).toEqual(['b']);
  });

  it('the newest *active* one is protected: a newer image still saving does not count', () => {
    const plan = planRetention([img('saving', 0, 'saving'), img('a', 1), img('b', 2)], { keep: 1 }, new Map(), now);
    expect(plan.kept.map((i) => [i.id, i.reason])).toEqual([
      ['saving', 'still saving'],
      ['a', 'newest active snapshot'],
    ]);
    expect(plan.toDelete.map((i) => i.id)).toEqual(['b']);
  });

  it('keep and maxAgeDays together: either rule selects', () => {
    const plan = planRetention([img('a', 1), img('b', 2), img('c', 3), img('d', 40)], { keep: 3, maxAgeDays: 30 }, new Map([['b', 'in use']]), now);
    expect(plan.toDelete.map((i) => [i.id, i.reason])).toEqual([['d', 'beyond the newest 3 and older than 30 days']]);
    expect(plan.kept.find((i) => i.id === 'b')?.reason).toBe('in use');
  });
});
