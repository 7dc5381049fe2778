// zod schemas of every query string and reply: the routes validate with them and
// openapi.ts renders them, so the document cannot drift from what the code accepts.
import { z } from 'zod';
import { JOB_STATES } from '../../shared/jobs/types';

const name = z.string().min(1).max(255);

// Query strings: strict, so a typo (`?sate=failed`) is a 400 rather than silently ignored.
export const listJobsQuery = z.strictObject({
  state: z.enum(JOB_STATES).optional(),
  kind: z.string().min(1).max(64).optional(),
  /** server name (with `cloud`, narrows to that cloud's server) */
  server: name.optional(),
  cloud: name.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** opaque: the `next` of the previous page */
  cursor: z.string().min(1).max(200).optional(),
});

export const eventsQuery = z.strictObject({
  /** seq of the last event already seen */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const waitQuery = z.strictObject({
  /** seconds */
  timeout: z.coerce.number().int().min(1).max(300).default(30),
});

export const snapshotsQuery = z.strictObject({
  cloud: name,
  server: name.optional(),
});

export const emptyQuery = z.strictObject({});

export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' });

export const scheduleNameParam = z.string().min(1).max(63);

// Replies
const links = z.object({ self: z.string(), events: z.string(), wait: z.string() });
const isoTime = z.string().describe('ISO 8601 timestamp');
const jobState = z.enum(JOB_STATES);

export const errorReply = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional().describe('dotted path of the offending input field'),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});

export const submitReply = z.object({ id: z.string(), kind: z.string(), state: jobState, links });

export const dryRunReply = z.object({ dryRun: z.literal(true), kind: z.string(), plan: z.array(z.string()) });

export const jobReply = z.object({
  id: z.string(),
  kind: z.string(),
  state: jobState,
  step: z.string().nullable(),
  progress: z.object({ phase: z.string(), done: z.number().nullable(), total: z.number().nullable() }).nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string(), step: z.string().nullable(), requestId: z.string().nullable() }).nullable(),
  params: z.unknown(),
  attempt: z.number().int(),
  cancelRequested: z.boolean(),
  requestedBy: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  links,
});

export const waitReply = jobReply.extend({ timedOut: z.boolean() });

export const jobListReply = z.object({ jobs: z.array(jobReply), next: z.string().nullable() });

export const eventsReply = z.object({
  events: z.array(
    z.object({
      seq: z.number().int(),
      at: isoTime,
      type: z.string(),
      fromState: jobState.nullable(),
      toState: jobState.nullable(),
      step: z.string().nullable(),
      attempt: z.number().int().nullable(),
      message: z.string().nullable(),
      requestIds: z.array(z.string()),
      data: z.unknown(),
    }),
  ),
  /** pass as `after` to get the following events; null when this page is the last one */
  next: z.number().int().nullable(),
});

export const schedulesReply = z.object({
  schedules: z.array(
    z.object({
      name: z.string(),
      description: z.string().nullable(),
      enabled: z.boolean(),
      cron: z.string(),
      timezone: z.string(),
      nextRunAt: isoTime.nullable(),
      lastRunAt: isoTime.nullable(),
      lastRun: z
        .object({
          slot: isoTime,
          finishedAt: isoTime.nullable().describe('null while it is being fired, or when it made no job and will be fired again'),
          jobs: z.record(z.string(), z.number().int()).describe('jobs of that slot by state'),
          errors: z.array(z.object({ server: z.string().optional(), message: z.string() })),
        })
        .nullable(),
      target: z.object({ cloud: z.string(), servers: z.array(z.string()).optional(), selector: z.record(z.string(), z.string()).optional() }),
      retention: z.object({ keep: z.number().optional(), maxAgeDays: z.number().optional() }).nullable(),
      stop: z.boolean(),
    }),
  ),
});

export const scheduleRunReply = z.object({
  schedule: z.string(),
  slot: isoTime.nullable(),
  jobs: z.array(z.object({ id: z.string(), server: z.string(), created: z.boolean(), links })),
  errors: z.array(z.object({ server: z.string().optional(), message: z.string() })),
});

export const snapshotsReply = z.object({
  snapshots: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      cloud: z.string(),
      server: z.string().nullable(),
      serverId: z.string().nullable(),
      policy: z.string().nullable(),
      jobId: z.string().nullable(),
      createdAt: isoTime,
      ageSeconds: z.number().int(),
      sizeBytes: z.number().nullable(),
    }),
  ),
});

export const healthReply = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  mode: z.enum(['simulator', 'cloud']),
  warning: z.string().optional(),
  clouds: z.array(z.object({ name: z.string(), ok: z.boolean(), message: z.string().optional() })),
  db: z.object({ ok: z.boolean(), dialect: z.string().optional(), message: z.string().optional() }),
  version: z.string().optional(),
});
