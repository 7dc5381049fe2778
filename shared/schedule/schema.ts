import { z } from 'zod';
import { checkNamePattern } from '../config/name-pattern';
import { CronError, parseCron } from './cron';
import { isValidTimeZone } from './tz';

// Schedules are written by operators: unknown keys are rejected (strict objects) so a
// typo such as `retension:` stops start-up instead of silently keeping every snapshot.

const cronExpression = z.string().superRefine((v, ctx) => {
  try {
    parseCron(v);
  } catch (err) {
    if (!(err instanceof CronError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

const timeZone = z.string().refine(isValidTimeZone, { message: 'unknown IANA time zone' });

const namePattern = z.string().superRefine((v, ctx) => {
  const problem = checkNamePattern(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const ScheduleTargetSchema = z
  .strictObject({
    /** clouds.yaml entry: it carries the project scope */
    cloud: z.string().min(1),
    servers: z.array(z.string().min(1)).optional(),
    /** server metadata that must all match, e.g. {"snapflow:schedule": "nightly"} */
    selector: z.record(z.string().min(1), z.string()).optional(),
  })
  .refine((t) => (t.servers?.length ?? 0) > 0 || Object.keys(t.selector ?? {}).length > 0, {
    message: 'needs servers and/or a selector',
  });

export const RetentionSchema = z
  .strictObject({
    keep: z.number().int().min(1).max(1000).optional(),
    maxAgeDays: z.number().int().min(1).max(36500).optional(),
  })
  .refine((r) => r.keep !== undefined || r.maxAgeDays !== undefined, {
    message: 'needs keep and/or maxAgeDays',
  });

export const NotifySchema = z.strictObject({
  on: z
    .array(z.enum(['success', 'failure']))
    .min(1)
    .default(['failure']),
  /** notification names from the configuration */
  to: z.array(z.string().min(1)).min(1),
});

export const ScheduleSchema = z.strictObject({
  // The name goes into idempotency keys (`schedule:<name>:…`): no colons or spaces.
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    message: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  cron: cronExpression,
  timezone: timeZone.default('UTC'),
  target: ScheduleTargetSchema,
  retention: RetentionSchema.optional(),
  /** stop the server before the snapshot (consistent disk), start it again afterwards */
  stop: z.boolean().default(false),
  namePattern: namePattern.optional(),
  notify: NotifySchema.optional(),
});

/** What an operator writes (defaults optional). */
export type ScheduleInput = z.input<typeof ScheduleSchema>;
/** A validated schedule. */
export type Schedule = z.output<typeof ScheduleSchema>;
