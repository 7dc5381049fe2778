import { z } from 'zod';
import { sha256Hex } from '../auth/hash';
import type { Scope } from '../auth/principal';
import type { TokenEntry } from '../auth/tokens';
import { ConfigFileSchema, DATABASE_URL, TokenEnvSchema } from './schema';
import type { WebhookProvider, WebhookRule } from './webhook-schema';
import { formatIssues } from './zod-issues';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:./var/snapflow.sqlite';

export interface WebhookConfig {
  name: string;
  provider: WebhookProvider;
  /** HMAC key / shared token: never log it (see redact) */
  secret: string;
  targets: string[];
  replayWindowMs: number;
  rules: WebhookRule[];
  /** `<file>: webhooks.<i>`, for messages about this hook found after loading (its clouds). */
  where: string;
}

export interface NotificationConfig {
  name: string;
  url: string;
  on: Array<'success' | 'failure'>;
}

/** snapflow's resolved configuration: durations in ms, secrets resolved, tokens hashed. */
export interface Config {
  listen: { host: string; port: number };
  database: { url: string };
  deadlines: { snapshotWaitMs: number; serverWaitMs: number };
  images: { namePattern: string };
  hooks: { postSnapshot?: { url: string; timeoutMs: number } };
  notifications: NotificationConfig[];
  tokens: TokenEntry[];
  webhooks: WebhookConfig[];
  limits: { snapshotsPerProject: number };
  schedules: { graceMs: number };
  /** Sysprep runner tasks (functions/runner-task-service.ts). */
  runner: { leaseMs: number; maxAttempts: number };
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface BuildInput {
  /** parsed file contents (undefined: no file) */
  file?: unknown;
  /** file name for messages, e.g. "snapflow.yaml" */
  source?: string;
  env: Env;
}

const portFromEnv = z.coerce.number().int().min(1).max(65535);
const tokensFromEnv = z.array(TokenEnvSchema);

/**
 * Validates the file and the environment (which wins) and resolves every secret. All
 * problems are collected into one ConfigError whose lines read `<source>: <path>: <issue>`;
 * no line ever contains a secret value.
 */
export async function buildConfig({ file, source = 'config', env }: BuildInput): Promise<Config> {
  const problems: string[] = [];
  const parsed = ConfigFileSchema.safeParse(file ?? {});
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, source));
  const f = parsed.data;

  const secretFrom = (name: string, where: string): string | undefined => {
    const v = env[name];
    if (v === undefined || v === '') {
      problems.push(`${where}: environment variable ${name} is not set`);
      return undefined;
    }
    return v;
  };

  let port = f.listen.port;
  if (env.SNAPFLOW_PORT !== undefined && env.SNAPFLOW_PORT !== '') {
    const p = portFromEnv.safeParse(env.SNAPFLOW_PORT);
    if (p.success) port = p.data;
    else problems.push('env SNAPFLOW_PORT: must be a port number (1-65535)');
  }
  const host = env.SNAPFLOW_HOST || f.listen.host;

  let dbUrl = f.database?.url ?? DEFAULT_DATABASE_URL;
  if (env.SNAPFLOW_DB) {
    // the URL may carry a password: report the rule, not the value
    if (DATABASE_URL.safeParse(env.SNAPFLOW_DB).success) dbUrl = env.SNAPFLOW_DB;
    else problems.push('env SNAPFLOW_DB: must be sqlite:<path>, postgres://… or d1:<binding>');
  }

  const tokens: TokenEntry[] = [];
  const addToken = async (t: { name: string; hash?: string; secretEnv?: string; secret?: string; scopes: Scope[]; targets: string[] }, where: string) => {
    let sha256: string | undefined;
    if (t.hash) sha256 = t.hash.slice('sha256:'.length).toLowerCase();
    else if (t.secret) sha256 = await sha256Hex(t.secret);
    else if (t.secretEnv) {
      const s = secretFrom(t.secretEnv, `${where}.secretEnv`);
      if (s !== undefined) sha256 = await sha256Hex(s);
    }
    if (sha256 === undefined) return;
    if (tokens.some((o) => o.name === t.name)) problems.push(`${where}.name: duplicate token name "${t.name}"`);
    else if (tokens.some((o) => o.sha256 === sha256)) problems.push(`${where}: same secret as another token`);
    else tokens.push({ name: t.name, sha256, scopes: t.scopes, targets: t.targets });
  };
  for (const [i, t] of f.tokens.entries()) await addToken(t, `${source}: tokens.${i}`);
  if (env.SNAPFLOW_TOKENS) {
    let raw: unknown;
    try {
      raw = JSON.parse(env.SNAPFLOW_TOKENS);
    } catch {
      // JSON.parse quotes the input in its message: it would print the secrets
      problems.push('env SNAPFLOW_TOKENS: not valid JSON (expected an array of token objects)');
    }
    if (raw !== undefined) {
      const envTokens = tokensFromEnv.safeParse(raw);
      if (!envTokens.success) problems.push(...formatIssues(envTokens.error, 'env SNAPFLOW_TOKENS'));
      else for (const [i, t] of envTokens.data.entries()) await addToken(t, `env SNAPFLOW_TOKENS: ${i}`);
    }
  }

  const webhooks: WebhookConfig[] = [];
  for (const [i, w] of f.webhooks.entries()) {
    const where = `${source}: webhooks.${i}`;
    const secret = secretFrom(w.secretEnv, `${where}.secretEnv`);
    if (webhooks.some((o) => o.name === w.name)) problems.push(`${where}.name: duplicate webhook name "${w.name}"`);
    else if (secret !== undefined) {
      // A delivery is told apart from another hook of its provider by the secret it verifies with.
      const twin = webhooks.find((o) => o.provider === w.provider && o.secret === secret);
      if (twin) problems.push(`${where}.secretEnv: same secret as the ${w.provider} webhook "${twin.name}" (a delivery could not tell them apart)`);
      else webhooks.push({ name: w.name, provider: w.provider, secret, targets: w.targets, replayWindowMs: w.replayWindow, rules: w.rules, where });
    }
  }

  const resolveUrl = (o: { url?: string; urlEnv?: string }, where: string): string | undefined => {
    if (o.url) return o.url;
    const v = secretFrom(o.urlEnv!, `${where}.urlEnv`);
    if (v !== undefined && !/^https?:\/\/\S+$/.test(v)) {
      problems.push(`${where}.urlEnv: ${o.urlEnv} must hold an http(s) URL`);
      return undefined;
    }
    return v;
  };
  const notifications: NotificationConfig[] = [];
  for (const [i, n] of f.notifications.entries()) {
    if (notifications.some((o) => o.name === n.name)) {
      problems.push(`${source}: notifications.${i}.name: duplicate notification name "${n.name}"`);
      continue;
    }
    const url = resolveUrl(n, `${source}: notifications.${i}`);
    if (url !== undefined) notifications.push({ name: n.name, url, on: n.on });
  }
  let postSnapshot: { url: string; timeoutMs: number } | undefined;
  if (f.hooks.postSnapshot) {
    const url = resolveUrl(f.hooks.postSnapshot, `${source}: hooks.postSnapshot`);
    if (url !== undefined) postSnapshot = { url, timeoutMs: f.hooks.postSnapshot.timeout };
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    listen: { host, port },
    database: { url: dbUrl },
    deadlines: { snapshotWaitMs: f.deadlines.snapshotWait, serverWaitMs: f.deadlines.serverWait },
    images: { namePattern: f.images.namePattern },
    hooks: postSnapshot ? { postSnapshot } : {},
    notifications,
    tokens,
    webhooks,
    limits: { snapshotsPerProject: f.limits.snapshotsPerProject },
    schedules: { graceMs: f.schedules.graceWindow },
    runner: { leaseMs: f.runner.leaseTtl, maxAttempts: f.runner.maxAttempts },
  };
}

/**
 * Workers: there is no file system, so the file's contents may come as JSON in the
 * SNAPFLOW_CONFIG_JSON variable; everything else is read from the same variables.
 */
export async function configFromEnv(bindings: Readonly<Record<string, unknown>>): Promise<Config> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(bindings)) if (typeof v === 'string') env[k] = v;
  let file: unknown;
  if (env.SNAPFLOW_CONFIG_JSON) {
    try {
      file = JSON.parse(env.SNAPFLOW_CONFIG_JSON);
    } catch {
      throw new ConfigError(['SNAPFLOW_CONFIG_JSON: not valid JSON']);
    }
  }
  return buildConfig({ file, source: 'SNAPFLOW_CONFIG_JSON', env });
}
