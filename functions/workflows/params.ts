// The v1 job-submission contract for snapshot, rollback, prune, clone, move, rename and discard (DESIGN.md). Unknown
// fields are a 400 (strict objects): a typo such as "kepp" must not silently run a job
// without retention. The workflows' own params schemas accept the same body with or
// without `kind`, so the HTTP layer can hand over the request as it came.
import { z } from 'zod';
import { guestPath, hostName } from '../../shared/runner/protocol';
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

/** Nova server metadata; snapflow_* keys are ours (a copy must not look like snapflow made it). */
const serverMetadata = z
  .record(z.string().min(1).max(255), z.string().max(255))
  .refine((p) => Object.keys(p).every((k) => !k.startsWith('snapflow_')), { message: 'keys starting with snapflow_ are reserved' })
  .default({});
const otherCloud = z.strictObject({ cloud });
/** Options of the server clone, move and rename create. */
const newServerFields = {
  /** Keep the intermediate snapshot and the cleaned image when the job is done. */
  keepImages: z.boolean().default(false),
  /** Boot the new server from a new volume of this size (GiB) made from the cleaned image. */
  bootFromVolume: z.strictObject({ size: z.number().int().min(1).max(100_000) }).optional(),
  availabilityZone: z.string().min(1).max(255).optional(),
  dryRun: z.boolean().default(false),
};

const cloneFields = {
  cloud,
  server,
  newName: z.string().min(1).max(255),
  /** Another clouds.yaml entry (project) the clone goes to; default `cloud`. */
  to: otherCloud.optional(),
  stop: z.boolean().default(false),
  flavor: z.string().min(1).max(255).optional(),
  keyName: z.string().min(1).max(255).optional(),
  /** 'none', 'auto' or a network id; default: as the source (none when it has no address). */
  network: z.string().min(1).max(255).optional(),
  metadata: serverMetadata,
  os: z.enum(['LINUX', 'WINDOWS']).default('LINUX'),
  slc6: z.boolean().default(false),
  deletePaths: z.array(guestPath).max(64).default([]),
  ...newServerFields,
};

const moveFields = {
  cloud,
  server,
  to: otherCloud,
  /** The new server keeps the name: the source is deleted first and its DNS name must expire. */
  keepHostname: z.boolean().default(false),
  /** Without keepHostname: delete the source once the new server is ACTIVE. */
  deleteSource: z.boolean().default(false),
  confirm: z.boolean().default(false),
  ...newServerFields,
};

const renameFields = {
  cloud,
  server,
  /** Also the new hostname, written into the guest. */
  newName: hostName,
  confirm: z.literal(true, { message: 'confirm must be true: a rename deletes the old server' }),
  ...newServerFields,
};

const discardFields = {
  /** The cloud entry the server is in (a clone's target cloud). */
  cloud,
  /** The server to delete (name or id): it must be one a clone job made. */
  server,
  /** The clone job that made it: waited for while it runs, and the server must be the one it made. */
  fromJob: z.string().min(1).max(128).optional(),
  confirm: z.literal(true, { message: 'confirm must be true: a discard deletes the server' }),
  dryRun: z.boolean().default(false),
};

/** A move that deletes its source (keepHostname or deleteSource) needs confirm. */
const moveConfirmed = (p: { keepHostname?: boolean; deleteSource?: boolean; confirm?: boolean }) => !(p.keepHostname || p.deleteSource) || p.confirm === true;
const moveConfirmIssue = { message: 'confirm must be true: keepHostname or deleteSource deletes the source server', path: ['confirm'] };
const moveElsewhere = (p: { cloud: string; to: { cloud: string } }) => p.to.cloud !== p.cloud;
const moveElsewhereIssue = { message: 'must be another cloud entry than cloud', path: ['to', 'cloud'] };

const needsRule = (p: { keep?: number; maxAgeDays?: number }) => p.keep !== undefined || p.maxAgeDays !== undefined;
const ruleIssue = { message: 'needs keep and/or maxAgeDays', path: ['keep'] };

export const snapshotRequestSchema = z.strictObject({ kind: z.literal('snapshot'), ...snapshotFields });
export const rollbackRequestSchema = z.strictObject({ kind: z.literal('rollback'), ...rollbackFields });
export const pruneRequestSchema = z.strictObject({ kind: z.literal('prune'), ...pruneFields }).refine(needsRule, ruleIssue);
export const cloneRequestSchema = z.strictObject({ kind: z.literal('clone'), ...cloneFields });
export const moveRequestSchema = z
  .strictObject({ kind: z.literal('move'), ...moveFields })
  .refine(moveConfirmed, moveConfirmIssue)
  .refine(moveElsewhere, moveElsewhereIssue);
export const renameRequestSchema = z.strictObject({ kind: z.literal('rename'), ...renameFields });
export const discardRequestSchema = z.strictObject({ kind: z.literal('discard'), ...discardFields });

/** POST /v1/jobs bodies of the v1 kinds. */
export const jobRequestSchema = z.discriminatedUnion('kind', [
  snapshotRequestSchema,
  rollbackRequestSchema,
  pruneRequestSchema,
  cloneRequestSchema,
  moveRequestSchema,
  renameRequestSchema,
  discardRequestSchema,
]);
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
export const cloneParamsSchema = z.strictObject({ kind: z.literal('clone').default('clone'), ...cloneFields });
export const moveParamsSchema = z
  .strictObject({ kind: z.literal('move').default('move'), ...moveFields })
  .refine(moveConfirmed, moveConfirmIssue)
  .refine(moveElsewhere, moveElsewhereIssue);
export const renameParamsSchema = z.strictObject({ kind: z.literal('rename').default('rename'), ...renameFields });
export const discardParamsSchema = z.strictObject({ kind: z.literal('discard').default('discard'), ...discardFields });

export type SnapshotParams = z.output<typeof snapshotParamsSchema>;
export type RollbackParams = z.output<typeof rollbackParamsSchema>;
export type PruneParams = z.output<typeof pruneParamsSchema>;
export type CloneParams = z.output<typeof cloneParamsSchema>;
export type MoveParams = z.output<typeof moveParamsSchema>;
export type RenameParams = z.output<typeof renameParamsSchema>;
export type DiscardParams = z.output<typeof discardParamsSchema>;

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

/** Where the new server goes: the `to` entry when there is one, else the source's cloud. */
export function targetCloud(p: { cloud: string; to?: { cloud: string } | undefined }): string {
  return p.to?.cloud ?? p.cloud;
}

/**
 * Clone, move and rename read a server in `cloud` and create one in the target cloud: a token
 * must be allowed both (the new server by its name; a move keeps the source's).
 */
export function newServerTargets(p: {
  cloud: string;
  server: string;
  to?: { cloud: string } | undefined;
  newName?: string;
}): { cloud: string; server: string }[] {
  const source = { cloud: p.cloud, server: p.server };
  const target = { cloud: targetCloud(p), server: p.newName ?? p.server };
  return target.cloud === source.cloud && target.server === source.server ? [source] : [source, target];
}
