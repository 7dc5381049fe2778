import { z } from 'zod';

// The wire contract between the snapflow service and its sysprep runners (JSON over HTTP,
// `Authorization: Bearer <token with scope runner>`). Both sides import these schemas: the
// service validates what runners send with them and builds what it answers to match them;
// the runner does the reverse. Runtime-agnostic (no Node imports): the Workers deployment
// serves the same routes.
//
//   POST /v1/runner/claim                  ClaimRequest     -> 200 Task | 204 (nothing within waitSeconds)
//   POST /v1/runner/tasks/:id/heartbeat    HeartbeatRequest -> 200 HeartbeatResponse | 409 LeaseLost
//   POST /v1/runner/tasks/:id/complete     CompleteRequest  -> 200 | 409 LeaseLost
//   POST /v1/runner/tasks/:id/fail         FailRequest      -> 200 | 409 LeaseLost
//
// Requests are strict (an unknown field is a 400 naming it). The Task is parsed leniently by
// the runner (unknown fields are dropped), so a service that adds a field does not stop older
// runners. Changing or removing a field is a protocol change: both sides move together.

/** Longest claim long-poll a runner may ask for. */
export const MAX_CLAIM_WAIT_SECONDS = 30;

/** What the runner is doing; reported on every heartbeat and on a failure. */
export const RUNNER_PHASES = ['download', 'check', 'amend', 'sysprep', 'verify', 'upload'] as const;
export type RunnerPhase = (typeof RUNNER_PHASES)[number];

/** full = clone, limited = move, hostname = rename (see the design card, "Sysprep runner"). */
export const CLEAN_MODES = ['full', 'limited', 'hostname'] as const;
export type CleanMode = (typeof CLEAN_MODES)[number];

/** Glance's disk formats. The runner cleans qcow2 and raw and fails the others (`unsupported_format`). */
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const MULTIHASH_ALGOS = ['sha512', 'sha384', 'sha256', 'sha224', 'sha1', 'md5'] as const;

/** Properties the runner sets itself on the image it uploads (provenance, OS tag, its own verification mark). */
export const RUNNER_PROPERTY_KEYS = [
  'os',
  'landb-os',
  'snapflow_job',
  'snapflow_task',
  'snapflow_source_image',
  'snapflow_source_server',
  'snapflow_verified',
] as const;

/** Keys a task may not set as properties: Glance's own attributes (it refuses them) and the runner's. */
export const RESERVED_PROPERTY_KEYS = new Set<string>([
  ...RUNNER_PROPERTY_KEYS,
  'id',
  'name',
  'status',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'visibility',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
  'tags',
  'protected',
  'file',
  'schema',
  'self',
  'locations',
  'direct_url',
  'min_disk',
  'min_ram',
  'os_hidden',
  'stores',
]);

/**
 * Failure codes the runner sends (`FailRequest.code`). The list documents them; the schema
 * accepts any snake_case code so a newer runner can add one without breaking the service.
 * retryable: network/5xx/timeout (`download_failed`, `upload_failed`, `openstack_unavailable`,
 * `sysprep_timeout`, `runner_stopping`); permanent: the others.
 */
export const RUNNER_FAILURE_CODES = [
  'insufficient_space', // the scratch disk cannot hold the image plus headroom
  'source_not_found', // the source image is gone (404) or not active
  'integrity_mismatch', // downloaded or uploaded bytes do not match Glance's digest or size
  'download_failed', // network / 5xx / timeout while downloading (after the resume attempts)
  'unsupported_format', // a disk format the runner does not clean
  'format_mismatch', // qemu-img sees another format than the task's diskFormat (e.g. raw for garbage)
  'backing_file', // the image has a backing file
  'corrupt_image', // qemu-img check rc 2, or an image qemu-img cannot open
  'cannot_downgrade', // qemu-img amend compat=0.10 refused (SLC6)
  'no_os', // virt-sysprep found no operating system in the image
  'sysprep_failed', // virt-sysprep failed otherwise
  'sysprep_timeout', // virt-sysprep (or the verify pass) overran its timeout
  'cleaning_not_verified', // the read-only guestfish pass found something the cleaning should have removed
  'path_not_allowed', // a delete path or hostname outside the runner's whitelist
  'cloud_not_configured', // the runner's clouds.yaml has no such cloud
  'upload_failed', // network / 5xx / timeout while uploading
  'openstack_unavailable', // another retryable OpenStack error (5xx, 409, 429, network)
  'openstack_error', // a permanent OpenStack error (400, 403, ...)
  'cancelled', // the job was cancelled (heartbeat answered cancel: true)
  'runner_stopping', // the runner got SIGTERM; the lease is released at once
  'invalid_task', // the task did not match this schema
  'internal_error', // anything else (a bug)
] as const;
export type RunnerFailureCode = (typeof RUNNER_FAILURE_CODES)[number];

const id = z.string().min(1).max(200);
const nonNegInt = z.number().int().nonnegative();
const hex = z.string().regex(/^[0-9a-f]+$/, { message: 'must be lowercase hex' });
const cloudName = z.string().min(1).max(200);
/** An absolute guest path, no `..`, no control characters; the runner also checks its whitelist. */
export const guestPath = z
  .string()
  .max(4096)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
  .regex(/^\/[^\0-\x1f]*$/, { message: 'must be an absolute path without control characters' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".."' });
/** RFC 1123 host name (labels of letters, digits and hyphens, dot-separated). */
export const hostName = z
  .string()
  .max(253)
  .regex(/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/, { message: 'must be an RFC 1123 host name' });
const propertyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,255}$/, { message: 'must be 1-255 of A-Z a-z 0-9 _ . : -' })
  .refine((k) => !RESERVED_PROPERTY_KEYS.has(k), { message: 'is reserved (a Glance attribute or a property the runner sets)' });

export const ClaimRequest = z.strictObject({
  /** The runner's name (host name by default): for the service's logs and the job's events. */
  runner: z.string().min(1).max(200),
  /** How long the service may hold the request open when there is no task. */
  waitSeconds: z.number().int().min(0).max(MAX_CLAIM_WAIT_SECONDS),
});
export type ClaimRequest = z.infer<typeof ClaimRequest>;

export const Lease = z.object({
  /** Opaque; sent back on every call about this task. A new claim of the task gets a new token. */
  token: z.string().min(1).max(500),
  expiresAt: z.iso.datetime({ offset: true }),
  ttlSeconds: z.number().int().positive(),
});

export const TaskSource = z.object({
  /** A clouds.yaml entry of the runner (the service never hands out credentials). */
  cloud: cloudName,
  imageId: id,
  /** Bytes, as Glance recorded them when the task was made. */
  size: nonNegInt,
  diskFormat: z.enum(DISK_FORMATS),
  /** Glance's multihash at task creation; the download must match it (and Glance's current record). */
  hashAlgo: z.enum(MULTIHASH_ALGOS).nullable(),
  hashValue: hex.nullable(),
  /** md5, checked only when there is no multihash. */
  checksum: hex.nullable(),
  virtualSize: nonNegInt.nullable(),
  serverId: id.nullable(),
});

export const TaskClean = z
  .object({
    mode: z.enum(CLEAN_MODES),
    deletePaths: z.array(guestPath).max(64),
    /** Required (and only allowed) in hostname mode. */
    hostname: hostName.nullable(),
    /** SLC6 guests: `qemu-img amend -o compat=0.10` before cleaning. */
    slc6: z.boolean(),
    os: z.enum(['LINUX', 'WINDOWS']),
  })
  .refine((c) => (c.mode === 'hostname') === (c.hostname !== null), {
    message: 'hostname is required in hostname mode and not allowed otherwise',
    path: ['hostname'],
  });

export const TaskTarget = z.object({
  cloud: cloudName,
  name: z.string().min(1).max(255),
  diskFormat: z.enum(DISK_FORMATS),
  containerFormat: z.enum(CONTAINER_FORMATS),
  visibility: z.enum(['private', 'shared', 'community', 'public']),
  /** Extra Glance properties; the runner adds os / landb-os and the snapflow_* provenance itself. */
  properties: z.record(propertyKey, z.string().max(65535)),
});

export const Task = z.object({
  id,
  jobId: id,
  attempt: z.number().int().positive(),
  lease: Lease,
  source: TaskSource,
  clean: TaskClean,
  target: TaskTarget,
});
export type Task = z.infer<typeof Task>;

export const HeartbeatRequest = z.strictObject({
  leaseToken: z.string().min(1).max(500),
  phase: z.enum(RUNNER_PHASES),
  /** Progress of the current phase: bytes moved of the total (download, upload); 0 of 0 for the others. */
  bytesDone: nonNegInt,
  bytesTotal: nonNegInt,
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z.object({
  /** The job was cancelled: stop, clean up, and report `fail` with code `cancelled`. */
  cancel: z.boolean(),
  lease: Lease.pick({ expiresAt: true, ttlSeconds: true }),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

/** Digests by algorithm (what was checked against Glance's record). */
const Digests = z.partialRecord(z.enum(MULTIHASH_ALGOS), hex);

export const CompleteRequest = z.strictObject({
  leaseToken: z.string().min(1).max(500),
  /** The cleaned image in the target cloud (active, its digest checked). */
  imageId: id,
  bytes: nonNegInt,
  verified: z.strictObject({ source: Digests, target: Digests }),
  /** Things worth telling the operator that did not stop the task (e.g. qemu-img check leaks). */
  warnings: z.array(z.string().max(2000)).max(50),
});
export type CompleteRequest = z.infer<typeof CompleteRequest>;

export const FailRequest = z.strictObject({
  leaseToken: z.string().min(1).max(500),
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { message: 'must be a snake_case code' }),
  message: z.string().max(4000),
  /** True: another attempt may succeed (the service may hand the task out again). */
  retryable: z.boolean(),
  phase: z.enum(RUNNER_PHASES),
});
export type FailRequest = z.infer<typeof FailRequest>;

/** 409 body of heartbeat/complete/fail when the task's lease was taken over (or the task is gone). */
export const LeaseLost = z.object({
  error: z.looseObject({ code: z.literal('lease_lost'), message: z.string().optional() }),
});
