import { z } from 'zod';

// The runtime-agnostic description of one cloud (one clouds.yaml entry, already merged
// with secure.yaml and OS_* variables). Workers build it from their own bindings; Node
// loads it with clouds-node.ts.

const optionalString = z.string().min(1).optional();

export const cloudAuthSchema = z.object({
  auth_url: z.url(),
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
  endpoint_overrides: z.record(z.string(), z.url()).default({}),
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
 * (values are passwords and application-credential secrets).
 */
export function describeConfigIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => `${prefix}${i.path.map(String).join('.') || '(root)'}: ${safeIssueMessage(i)}`);
}

function safeIssueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_format':
      return `invalid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return 'must not be empty';
    default:
      return 'invalid value';
  }
}

/**
 * One clouds.yaml entry (as parsed from YAML on Node, or from the SNAPFLOW_CLOUDS JSON on
 * Workers) → a CloudConfig, or the problems by key path (`<prefix><path>: <problem>`).
 * `<service>_endpoint_override` keys become `endpoint_overrides[service]`.
 */
export function cloudEntryToConfig(name: string, raw: Record<string, unknown>, prefix = ''): { cloud?: CloudConfig; problems: string[] } {
  const endpoint_overrides: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const m = /^(.+)_endpoint_override$/.exec(k);
    if (m) endpoint_overrides[m[1]!] = v;
  }
  const parsed = cloudConfigSchema.safeParse({
    ...raw,
    name,
    endpoint_overrides,
    compute_api_version: raw.compute_api_version === undefined ? undefined : String(raw.compute_api_version),
  });
  if (!parsed.success) {
    // the user spells endpoint_overrides.compute as compute_endpoint_override
    const problems = describeConfigIssues(parsed.error, prefix).map((p) => p.replace(/endpoint_overrides\.([^.:]+):/, '$1_endpoint_override:'));
    return { problems };
  }
  const problems = cloudConfigProblems(parsed.data).map((p) => `${prefix}${p}`);
  return problems.length ? { problems } : { cloud: parsed.data, problems };
}
