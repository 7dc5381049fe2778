import { z } from 'zod';
import { closestKey } from '../config/did-you-mean';
import { urlHasCredentials } from '../config/redact-text';

// The runtime-agnostic description of one cloud (one clouds.yaml entry, already merged
// with secure.yaml and OS_* variables). Workers build it from their own bindings; Node
// loads it with clouds-node.ts.

const optionalString = z.string().min(1).optional();

// A password pasted into a URL would be echoed by every message that names the URL (and
// undici refuses such URLs, which would look like a network error): refused at load.
const CREDENTIALS_IN_URL = 'must not contain a user name or password (user:password@); use auth.username and auth.password';

const serviceUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).refine((u) => !urlHasCredentials(u), { message: CREDENTIALS_IN_URL });

// The auth block is strict: a misspelled key (`pasword:`) would otherwise be dropped
// silently and surface later as a confusing login failure.
export const cloudAuthSchema = z.strictObject({
  auth_url: serviceUrl,
  username: optionalString,
  user_id: optionalString,
  password: optionalString,
  user_domain_name: optionalString,
  user_domain_id: optionalString,
  project_name: optionalString,
  project_id: optionalString,
  project_domain_name: optionalString,
  project_domain_id: optionalString,
  domain_name: optionalString,
  domain_id: optionalString,
  application_credential_id: optionalString,
  application_credential_name: optionalString,
  application_credential_secret: optionalString,
  token: optionalString,
});

const AUTH_KEYS = Object.keys(cloudAuthSchema.shape);

export const authTypeSchema = z.enum(['password', 'v3password', 'v3applicationcredential', 'token', 'v3token']);

export const cloudConfigSchema = z.object({
  /** The clouds.yaml key (or "envvars" for plain OS_* variables); used in errors and cache keys. */
  name: z.string().min(1),
  auth_type: authTypeSchema.optional(),
  auth: cloudAuthSchema,
  region_name: optionalString,
  interface: z.enum(['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL']).optional(),
  identity_api_version: z.union([z.string(), z.number()]).optional(),
  /** `<service>_endpoint_override` keys, e.g. compute_endpoint_override. */
  endpoint_overrides: z.record(z.string(), serviceUrl).default({}),
  /** e.g. compute_api_version: "2.79" pins the Nova microversion. */
  compute_api_version: optionalString,
});

export type CloudConfig = z.infer<typeof cloudConfigSchema>;
export type CloudAuth = z.infer<typeof cloudAuthSchema>;
export type AuthMethod = 'password' | 'application_credential' | 'token';

/** Normalised auth type; defaults follow keystoneauth's guess from the fields present. */
export function authMethodOf(cloud: CloudConfig): AuthMethod {
  const t = cloud.auth_type;
  if (t === 'v3applicationcredential') return 'application_credential';
  if (t === 'token' || t === 'v3token') return 'token';
  if (t === 'password' || t === 'v3password') return 'password';
  if (cloud.auth.application_credential_secret) return 'application_credential';
  if (cloud.auth.token && !cloud.auth.password) return 'token';
  return 'password';
}

export function normaliseInterface(value: CloudConfig['interface']): 'public' | 'internal' | 'admin' {
  if (!value) return 'public';
  return value.replace(/URL$/, '') as 'public' | 'internal' | 'admin';
}

/** Problems that make a cloud unusable, phrased with the key names users write. */
export function cloudConfigProblems(cloud: CloudConfig): string[] {
  const a = cloud.auth;
  const problems: string[] = [];
  const method = authMethodOf(cloud);
  if (method === 'password') {
    if (!a.password) problems.push('auth.password is missing');
    if (!a.username && !a.user_id) problems.push('auth.username or auth.user_id is missing');
    if (a.username && !a.user_id && !a.user_domain_name && !a.user_domain_id && !a.domain_id && !a.domain_name) {
      problems.push('auth.user_domain_name or auth.user_domain_id is missing');
    }
  } else if (method === 'application_credential') {
    if (!a.application_credential_secret) problems.push('auth.application_credential_secret is missing');
    if (!a.application_credential_id && !a.application_credential_name) {
      problems.push('auth.application_credential_id or auth.application_credential_name is missing');
    }
    if (!a.application_credential_id && !a.username && !a.user_id) {
      problems.push('auth.username or auth.user_id is needed with application_credential_name');
    }
  } else if (!a.token) {
    problems.push('auth.token is missing');
  }
  if (method !== 'application_credential' && a.project_name && !a.project_id && !a.project_domain_id && !a.project_domain_name) {
    problems.push('auth.project_domain_name or auth.project_domain_id is missing');
  }
  if (cloud.identity_api_version !== undefined && !String(cloud.identity_api_version).startsWith('3')) {
    problems.push(`identity_api_version ${String(cloud.identity_api_version)} is not supported (only 3)`);
  }
  return problems;
}

/**
 * Zod issues as `<prefix><key path>: <what is wrong>`, never quoting the received value
 * (values are passwords and application-credential secrets). Unknown keys get one line
 * each, with the known key they most resemble.
 */
export function describeConfigIssues(error: z.ZodError, prefix = '', input?: unknown): string[] {
  return error.issues.flatMap((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => {
        const at = path ? `${path}.${k}` : k;
        const known = path === 'auth' ? AUTH_KEYS : [];
        const guess = closestKey(k, known);
        return `${prefix}${at}: unknown key${guess ? ` (did you mean ${path}.${guess}?)` : ''}`;
      });
    }
    const missing = i.code === 'invalid_type' && (/received undefined$/.test(i.message) || (input !== undefined && valueAt(input, i.path) === undefined));
    return [`${prefix}${path || '(root)'}: ${missing ? 'is missing' : safeIssueMessage(i)}`];
  });
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function safeIssueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be an http(s) URL' : `invalid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return 'must not be empty';
    case 'custom':
      // our own refinements: the messages state a rule, not the value
      return issue.message;
    default:
      return 'invalid value';
  }
}

/**
 * keystoneauth spellings snapflow reads as their modern equivalents: `tenant_*` (Keystone
 * v2 names for a project) and `default_domain_*` (the domain of both user and project
 * when those are not given).
 */
function normaliseAuthAliases(auth: unknown): unknown {
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) return auth;
  const { tenant_name, tenant_id, default_domain_name, default_domain_id, ...rest } = auth as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest };
  const fill = (key: string, value: unknown) => {
    if (value !== undefined && out[key] === undefined) out[key] = value;
  };
  fill('project_name', tenant_name);
  fill('project_id', tenant_id);
  if (out.user_domain_id === undefined) fill('user_domain_name', default_domain_name);
  if (out.project_domain_id === undefined) fill('project_domain_name', default_domain_name);
  if (out.user_domain_name === undefined) fill('user_domain_id', default_domain_id);
  if (out.project_domain_name === undefined) fill('project_domain_id', default_domain_id);
  return out;
}

/**
 * One clouds.yaml entry (as parsed from YAML on Node, or from the SNAPFLOW_CLOUDS JSON on
 * Workers) → a CloudConfig, or the problems by key path (`<prefix><path>: <problem>`).
 * `<service>_endpoint_override` keys become `endpoint_overrides[service]`. Other keys of
 * the entry that openstacksdk knows and snapflow does not use (profile, verify…) are
 * ignored; the auth block is checked key by key.
 */
export function cloudEntryToConfig(name: string, raw: Record<string, unknown>, prefix = ''): { cloud?: CloudConfig; problems: string[] } {
  const endpoint_overrides: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const m = /^(.+)_endpoint_override$/.exec(k);
    if (m) endpoint_overrides[m[1]!] = v;
  }
  const input = {
    ...raw,
    auth: normaliseAuthAliases(raw.auth),
    name,
    endpoint_overrides,
    compute_api_version: raw.compute_api_version === undefined ? undefined : String(raw.compute_api_version),
  };
  const parsed = cloudConfigSchema.safeParse(input);
  if (!parsed.success) {
    // the user spells endpoint_overrides.compute as compute_endpoint_override
    const problems = describeConfigIssues(parsed.error, prefix, input).map((p) => p.replace(/endpoint_overrides\.([^.:]+):/, '$1_endpoint_override:'));
    return { problems };
  }
  const problems = cloudConfigProblems(parsed.data).map((p) => `${prefix}${p}`);
  return problems.length ? { problems } : { cloud: parsed.data, problems };
}
