import { z } from 'zod';
import { checkTargetPattern } from '../auth/glob';
import { SCOPES } from '../auth/principal';
import { durationMs } from './duration';
import { checkNamePattern, DEFAULT_IMAGE_NAME_PATTERN } from './name-pattern';
import { WebhookFileSchema } from './webhook-schema';

// The configuration file (snapflow.yaml / JSON). Objects are strict: an operator's typo
// must stop start-up rather than silently fall back to a default. The file never holds a
// secret: tokens are `hash: sha256:<hex>` or `secretEnv: VAR`, webhook secrets and
// secret-bearing URLs come from `*Env` variables.

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name (A-Z, 0-9, _)' });

export const DATABASE_URL = z.string().regex(/^(sqlite:.+|postgres(ql)?:\/\/.+|d1:[A-Za-z_][A-Za-z0-9_]*)$/, {
  message: 'must be sqlite:<path>, postgres://… or d1:<binding>',
});

const namePattern = z.string().superRefine((v, ctx) => {
  const problem = checkNamePattern(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const targetPattern = z.string().superRefine((v, ctx) => {
  const problem = checkTargetPattern(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/** Exactly one of `url` / `urlEnv` (for URLs that embed a secret, e.g. chat webhooks). */
const urlOrEnv = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject({ url: httpUrl.optional(), urlEnv: envName.optional(), ...shape }).refine(
    (o) => {
      const { url, urlEnv } = o as { url?: string; urlEnv?: string };
      return (url === undefined) !== (urlEnv === undefined);
    },
    { message: 'needs exactly one of url, urlEnv' },
  );

/** Fields of a token entry in the file and in SNAPFLOW_TOKENS alike. */
const tokenFields = {
  name: z.string().min(1).max(64),
  hash: z
    .string()
    .regex(/^sha256:[0-9a-fA-F]{64}$/, { message: 'must be sha256:<64 hex digits>' })
    .optional(),
  secretEnv: envName.optional(),
  scopes: z.array(z.enum(SCOPES)).min(1),
  /** globs over cloud/project/server; omitted: no target (fine for runner tokens) */
  targets: z.array(targetPattern).default([]),
};

export const TokenFileSchema = z.strictObject(tokenFields).refine((t) => (t.hash === undefined) !== (t.secretEnv === undefined), {
  message: 'needs exactly one of hash, secretEnv',
});

/** SNAPFLOW_TOKENS entries: the environment is a secret store, so `secret` is allowed. */
export const TokenEnvSchema = z
  .strictObject({
    ...tokenFields,
    secret: z.string().min(16, { message: 'too short (16 characters minimum)' }).optional(),
  })
  .refine((t) => [t.secret, t.hash, t.secretEnv].filter((x) => x !== undefined).length === 1, {
    message: 'needs exactly one of secret, hash, secretEnv',
  });

export const ConfigFileSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(1).max(65535).default(8080),
    })
    .default({ host: '0.0.0.0', port: 8080 }),
  database: z.strictObject({ url: DATABASE_URL }).optional(),
  deadlines: z
    .strictObject({
      /** createImage until the image is active */
      snapshotWait: durationMs.default(2 * 3_600_000),
      /** stop/start/rebuild until the server reaches its state */
      serverWait: durationMs.default(30 * 60_000),
    })
    .default({ snapshotWait: 2 * 3_600_000, serverWait: 30 * 60_000 }),
  images: z.strictObject({ namePattern: namePattern.default(DEFAULT_IMAGE_NAME_PATTERN) }).default({ namePattern: DEFAULT_IMAGE_NAME_PATTERN }),
  hooks: z
    .strictObject({
      /** called after each snapshot (e.g. to resync the guest clock) */
      postSnapshot: urlOrEnv({ timeout: durationMs.default(30_000) }).optional(),
    })
    .default({}),
  notifications: z
    .array(
      urlOrEnv({
        name: z.string().min(1).max(64),
        on: z
          .array(z.enum(['success', 'failure']))
          .min(1)
          .default(['failure']),
      }),
    )
    .default([]),
  tokens: z.array(TokenFileSchema).default([]),
  webhooks: z.array(WebhookFileSchema).default([]),
  limits: z.strictObject({ snapshotsPerProject: z.number().int().min(1).max(1000).default(2) }).default({ snapshotsPerProject: 2 }),
  schedules: z
    .strictObject({
      /** a slot missed (e.g. while down) still runs at start-up if at most this late */
      graceWindow: durationMs.default(60 * 60_000),
    })
    .default({ graceWindow: 60 * 60_000 }),
  runner: z
    .strictObject({
      /** how long a sysprep runner keeps a task without a heartbeat (it beats every third of it) */
      leaseTtl: durationMs.pipe(z.number().min(3_000, { message: 'must be at least 3s' }).max(3_600_000, { message: 'must be at most 1h' })).default(60_000),
      /** retryable failures a task may have (a runner reports one) before its job fails */
      maxAttempts: z.number().int().min(1).max(20).default(3),
    })
    .default({ leaseTtl: 60_000, maxAttempts: 3 }),
});

export type ConfigFile = z.output<typeof ConfigFileSchema>;
export type ConfigFileInput = z.input<typeof ConfigFileSchema>;
