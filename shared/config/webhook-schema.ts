// CI webhooks in the configuration file: each hook has its provider, the variable holding
// its secret, and rules mapping a provider event to a job. Everything a rule could get
// wrong is checked here, at start, with the file and field in the message: an event the
// provider never sends, a template field that does not exist or sits where templates are
// not allowed, a rollback to a reference no rule of the hook makes, a discard of a clone no
// rule of the hook makes.
// Templates are allowed only in names and properties: a snapshot's `name` and `properties`,
// a clone's `newName` (the new server's name) and `metadata` values (the new server's
// properties). What a job acts on (cloud, server, image, flavor, network, key) is never
// taken from a delivery.
import { z } from 'zod';
import { checkTargetPattern } from '../auth/glob';
import { canTarget, describeTarget } from '../auth/principal';
import { guestPath } from '../runner/protocol';
import { durationMs } from './duration';

export const WEBHOOK_PROVIDERS = ['gitlab', 'github', 'generic'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

/** The events each provider's route understands (generic: whatever the sender names). */
export const PROVIDER_EVENTS: Record<WebhookProvider, readonly string[] | null> = {
  gitlab: ['pipeline', 'job'],
  github: ['workflow_run', 'workflow_job'],
  generic: null,
};

/** The only fields a template may name; they are filled from the delivery. */
export const TEMPLATE_FIELDS = ['hook', 'event', 'project', 'ref', 'sha', 'short_sha', 'pipeline_id', 'status', 'name'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Problems of a templated string: unknown fields, stray braces. */
export function templateProblems(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(m[1]!)) {
      problems.push(`unknown template field {${m[1]}} (fields: ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')})`);
    }
  }
  if (/[{}]/.test(text.replace(PLACEHOLDER, ''))) problems.push('unbalanced { or }');
  return problems;
}

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name (A-Z, 0-9, _)' });
const plain = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !/[{}]/.test(v), { message: 'templates are allowed only in names and properties (name, newName, properties, metadata)' });
const templated = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((v, ctx) => {
      for (const message of templateProblems(v)) ctx.addIssue({ code: 'custom', message });
    });
/** A label: what a snapshot or clone rule makes (`as`), a rollback (`to`) or discard (`clone`) rule uses. */
const label = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'must be 1-32 characters of a-z 0-9 _ - starting with a letter' });
const glob = z.string().min(1).max(255);
const globs = z.union([glob, z.array(glob).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));
const words = z.array(z.string().min(1).max(64)).min(1);

/** Glance properties or Nova metadata: values templated, snapflow_* keys reserved. */
const templatedRecord = () =>
  z
    .record(z.string().min(1).max(255), templated(255))
    .superRefine((record, ctx) => {
      // on the record, not its key schema: zod reports a refused key only as "Invalid key in record"
      for (const k of Object.keys(record)) {
        if (k.startsWith('snapflow_')) ctx.addIssue({ code: 'custom', path: [k], message: 'keys starting with snapflow_ are reserved' });
      }
    })
    .default({});

const snapshotJob = z.strictObject({
  kind: z.literal('snapshot'),
  cloud: plain(255),
  server: plain(255),
  /** Names what it makes, for a later rule's `to` (carried by the pipeline id). */
  as: label.optional(),
  name: templated(255).optional(),
  properties: templatedRecord(),
  stop: z.boolean().default(false),
  policy: plain(64).optional(),
  keep: z.number().int().min(1).max(1000).optional(),
  maxAgeDays: z.number().positive().max(36_500).optional(),
});

const rollbackJob = z
  .strictObject({
    kind: z.literal('rollback'),
    cloud: plain(255),
    server: plain(255),
    /** The snapshot a rule of this hook made `as` this label for the same pipeline. */
    to: label.optional(),
    /** Or a fixed image: latest | <id> | <name>. */
    image: plain(255).optional(),
  })
  .refine((j) => (j.to === undefined) !== (j.image === undefined), { message: 'needs exactly one of to, image', path: ['to'] });

/** A fresh server for the run, cleaned as the clone kind does (its fields, `newName` templated). */
const cloneJob = z.strictObject({
  kind: z.literal('clone'),
  cloud: plain(255),
  server: plain(255),
  /** Names the clone, for a later rule's `discard` (carried by the pipeline id). */
  as: label.optional(),
  /** The new server's name, e.g. 'ci-{pipeline_id}'. */
  newName: templated(255),
  to: z.strictObject({ cloud: plain(255) }).optional(),
  stop: z.boolean().default(false),
  flavor: plain(255).optional(),
  keyName: plain(255).optional(),
  network: plain(255).optional(),
  /** The new server's metadata (its properties). */
  metadata: templatedRecord(),
  os: z.enum(['LINUX', 'WINDOWS']).default('LINUX'),
  deletePaths: z.array(guestPath).max(64).default([]),
  keepImages: z.boolean().default(false),
});

/** Deletes the server a clone rule of this hook made `as` this label for the same pipeline (and the images it kept). */
const discardJob = z.strictObject({
  kind: z.literal('discard'),
  clone: label,
});

export const WebhookJobSchema = z.discriminatedUnion('kind', [snapshotJob, rollbackJob, cloneJob, discardJob]);
export type WebhookJob = z.output<typeof WebhookJobSchema>;
export type WebhookCloneJob = z.output<typeof cloneJob>;

export const WebhookRuleSchema = z.strictObject({
  /** Names the rule in answers and idempotency keys (default: its position). */
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 . _ -' })
    .optional(),
  /** Provider event: gitlab pipeline|job, github workflow_run|workflow_job, generic: any. */
  event: z.string().min(1).max(64),
  /** Globs (`*` any characters, `?` one) over the project / repository path. */
  project: globs.optional(),
  ref: globs.optional(),
  /** Globs over the pipeline, workflow or job name. */
  name: globs.optional(),
  /** The provider's status (GitLab) or action (GitHub), one of these. */
  status: words.optional(),
  /** GitHub's (and the generic hook's) conclusion of a completed run or job. */
  conclusion: words.optional(),
  job: WebhookJobSchema,
});
export type WebhookRule = z.output<typeof WebhookRuleSchema>;

/** The clone rules' jobs of a hook that make `label`. */
export function clonesLabelled(rules: readonly WebhookRule[], label: string): WebhookCloneJob[] {
  return rules.flatMap((r) => (r.job.kind === 'clone' && r.job.as === label ? [r.job] : []));
}

/**
 * The server a rule's job is about: its own, or for a discard the source of the clone it
 * discards (the hook's check makes that one server); undefined for a discard of no clone.
 */
export function ruleServer(rules: readonly WebhookRule[], job: WebhookJob): { cloud: string; server: string } | undefined {
  if (job.kind !== 'discard') return { cloud: job.cloud, server: job.server };
  const clone = clonesLabelled(rules, job.clone)[0];
  return clone ? { cloud: clone.cloud, server: clone.server } : undefined;
}

export const WebhookFileSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 . _ -' }),
    provider: z.enum(WEBHOOK_PROVIDERS),
    secretEnv: envName,
    /** Optional bound: every rule's job must fall within these cloud/project/server globs. */
    targets: z
      .array(
        z.string().superRefine((v, ctx) => {
          const problem = checkTargetPattern(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .default([]),
    /** Generic hook: how far a delivery's timestamp may be from now. */
    replayWindow: durationMs.default(5 * 60_000),
    rules: z.array(WebhookRuleSchema).default([]),
  })
  .superRefine((hook, ctx) => {
    const events = PROVIDER_EVENTS[hook.provider];
    const names = new Set<string>();
    hook.rules.forEach((rule, i) => {
      const at = (...path: (string | number)[]) => ['rules', i, ...path];
      if (events && !events.includes(rule.event)) {
        ctx.addIssue({ code: 'custom', path: at('event'), message: `${hook.provider} events are ${events.join(', ')}` });
      }
      if (rule.conclusion && hook.provider === 'gitlab') {
        ctx.addIssue({ code: 'custom', path: at('conclusion'), message: 'GitLab has no conclusion: list the final statuses in status' });
      }
      const id = rule.id ?? String(i);
      if (names.has(id)) ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate rule id "${id}"` });
      names.add(id);
      const job = rule.job;
      const target = job.kind === 'discard' ? undefined : { cloud: job.cloud, server: job.server };
      if (target && hook.targets.length > 0 && !canTarget(hook, target)) {
        ctx.addIssue({ code: 'custom', path: at('job', 'server'), message: `${describeTarget(target)} is outside the hook's targets` });
      }
      if (job.kind === 'discard') {
        const sources = new Set(clonesLabelled(hook.rules, job.clone).map((c) => `${c.cloud}/${c.server}`));
        if (sources.size === 0) {
          ctx.addIssue({ code: 'custom', path: at('job', 'clone'), message: `no clone rule of this hook makes "${job.clone}" (as: ${job.clone})` });
        } else if (sources.size > 1) {
          ctx.addIssue({
            code: 'custom',
            path: at('job', 'clone'),
            message: `the clone rules making "${job.clone}" clone different servers (${[...sources].join(', ')}): a discard needs one`,
          });
        }
      }
      if (job.kind === 'rollback' && job.to !== undefined) {
        const made = hook.rules.some((r) => r.job.kind === 'snapshot' && r.job.as === job.to && r.job.cloud === job.cloud && r.job.server === job.server);
        if (!made) {
          ctx.addIssue({
            code: 'custom',
            path: at('job', 'to'),
            message: `no snapshot rule of this hook makes "${job.to}" of ${job.cloud}/${job.server} (as: ${job.to})`,
          });
        }
      }
    });
  });
export type WebhookFile = z.output<typeof WebhookFileSchema>;
