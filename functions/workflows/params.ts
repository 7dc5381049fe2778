// The v1 job-submission contract for snapshot, rollback and prune (DESIGN.md). Unknown
// fields are a 400 (strict objects): a typo such as "kepp" must not silently run a job
// without retention. The workflows' own params schemas accept the same body with or
// without `kind`, so the HTTP layer can hand over the request as it came.
import { z } from 'zod';
import { exportDiskFormat } from './export-lookup';

export const DEFAULT_POLICY = 'manual';

const cloud = z.string().min(1).max(255);
const server = z.string().min(1).max(255);
/** Stored as a Glance property value and matched exactly by prune: keep it simple. */
const policy = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  message: 'must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)',
});
/** Glance property keys/values; snapflow_* is ours (a user value must not forge the tags). */
const properties = z
  .record(z.string().min(1).max(255), z.string().max(255))
  .refine((p) => Object.keys(p).every((k) => !k.startsWith('snapflow_')), { message: 'keys starting with snapflow_ are reserved' })
  .default({});

const snapshotFields = {
  cloud,
  server,
  name: z.string().min(1).max(255).optional(),
  stop: z.boolean().default(false),
  properties,
  policy: policy.default(DEFAULT_POLICY),
  /** Retention after the snapshot: keep this many of the policy's snapshots. */
  keep: z.number().int().min(1).max(1000).optional(),
  /** Retention after the snapshot: delete the policy's snapshots older than this. */
  maxAgeDays: z.number().positive().max(36_500).optional(),
  dryRun: z.boolean().default(false),
};

const rollbackFields = {
  cloud,
  server,
  image: z.string().min(1).max(255),
  confirm: z.literal(true, { message: 'confirm must be true: a rollback rebuilds the server and replaces its disk' }),
  allowForeignImage: z.boolean().default(false),
  /** A boot-from-volume snapshot is exported to a real image to rebuild from: keep it afterwards. */
  keepImages: z.boolean().default(false),
  /** The disk format of that export (qcow2: Glance stores only the used blocks). */
  exportDiskFormat: exportDiskFormat.default('qcow2'),
  dryRun: z.boolean().default(false),
};

const pruneFields = {
  cloud,
  server,
  policy: policy.default(DEFAULT_POLICY),
  keep: z.number().int().min(1).max(1000).optional(),
  maxAgeDays: z.number().positive().max(36_500).optional(),
  dryRun: z.boolean().default(false),
};

const needsRule = (p: { keep?: number; maxAgeDays?: number }) => p.keep !== undefined || p.maxAgeDays !== undefined;
const ruleIssue = { message: 'needs keep and/or maxAgeDays', path: ['keep'] };

export const snapshotRequestSchema = z.strictObject({ kind: z.literal('snapshot'), ...snapshotFields });
export const rollbackRequestSchema = z.strictObject({ kind: z.literal('rollback'), ...rollbackFields });
export const pruneRequestSchema = z.strictObject({ kind: z.literal('prune'), ...pruneFields }).refine(needsRule, ruleIssue);

/** POST /v1/jobs bodies of these three kinds. */
export const jobRequestSchema = z.discriminatedUnion('kind', [snapshotRequestSchema, rollbackRequestSchema, pruneRequestSchema]);
export type JobRequest = z.output<typeof jobRequestSchema>;

// What the engine validates at submit (and stores as the job's params).
export const snapshotParamsSchema = z.strictObject({ kind: z.literal('snapshot').default('snapshot'), ...snapshotFields });
/**
 * Besides `image`, a rollback may take its image from a snapshot job (`imageFromJob`, set by
 * CI webhooks: the pipeline's own reference snapshot, possibly still running). Not part of
 * the v1 request contract.
 */
export const rollbackParamsSchema = z
  .strictObject({
    kind: z.literal('rollback').default('rollback'),
    ...rollbackFields,
    image: rollbackFields.image.optional(),
    imageFromJob: z.string().min(1).max(128).optional(),
  })
  .refine((p) => (p.image === undefined) !== (p.imageFromJob === undefined), { message: 'needs exactly one of image, imageFromJob', path: ['image'] });
export const pruneParamsSchema = z.strictObject({ kind: z.literal('prune').default('prune'), ...pruneFields }).refine(needsRule, ruleIssue);

export type SnapshotParams = z.output<typeof snapshotParamsSchema>;
export type RollbackParams = z.output<typeof rollbackParamsSchema>;
export type PruneParams = z.output<typeof pruneParamsSchema>;

/**
 * A server's lock key, `<cloud>/<server>`: at most one job per key runs at a time. The
 * workflows declare it from their params (the server as typed); a submission that resolves
 * the server (the API's preflight, schedules) replaces it with `<cloud>/<server id>` and
 * keeps `<cloud>/<server name>` as the lock alias, so that a name and an id of one server
 * are one lock. The typed key stays only when the cloud could not be asked at submission.
 */
export function serverLockKey(p: { cloud: string; server: string }): string {
  return `${p.cloud}/${p.server}`;
}

/** Snapshots are limited per cloud entry (one project each). */
export function snapshotConcurrency(p: { cloud: string }, limit: number): { key: string; limit: number } {
  return { key: `project:${p.cloud}`, limit };
}

/** A job on one server of one cloud entry: that is what a token must be allowed to target. */
export function serverTargets(p: { cloud: string; server: string }): { cloud: string; server: string }[] {
  return [{ cloud: p.cloud, server: p.server }];
}
