import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { cloudEntryToConfig, describeConfigIssues, type CloudConfig } from './cloud-config';

// Node-only: reads clouds.yaml / secure.yaml / OS_* the way openstacksdk does and yields
// the runtime-agnostic CloudConfig. Errors name the file and the key, never a value
// (values may be passwords).

export interface CloudsEnv {
  env?: Record<string, string | undefined>;
  cwd?: string;
  home?: string;
  /** Defaults to /etc/openstack (overridable so tests do not depend on the machine). */
  systemDir?: string;
}

export class CloudConfigError extends Error {
  override name = 'CloudConfigError';
}

const ENVVARS_CLOUD = 'envvars';

export function configSearchPath(kind: 'clouds' | 'secure', opts: CloudsEnv = {}): string[] {
  const env = opts.env ?? process.env;
  const explicit = kind === 'clouds' ? env.OS_CLIENT_CONFIG_FILE : env.OS_CLIENT_SECURE_FILE;
  const cwd = opts.cwd ?? process.cwd();
  const home = opts.home ?? homedir();
  return [
    ...(explicit ? [resolve(cwd, explicit)] : []),
    join(cwd, `${kind}.yaml`),
    join(home, '.config', 'openstack', `${kind}.yaml`),
    join(opts.systemDir ?? '/etc/openstack', `${kind}.yaml`),
  ];
}

export function findConfigFile(kind: 'clouds' | 'secure', opts: CloudsEnv = {}): string | undefined {
  const env = opts.env ?? process.env;
  const explicit = kind === 'clouds' ? env.OS_CLIENT_CONFIG_FILE : env.OS_CLIENT_SECURE_FILE;
  const paths = configSearchPath(kind, opts);
  // An explicitly named file that does not exist is a mistake, not a reason to look elsewhere.
  if (explicit && !existsSync(paths[0]!)) {
    const key = kind === 'clouds' ? 'OS_CLIENT_CONFIG_FILE' : 'OS_CLIENT_SECURE_FILE';
    throw new CloudConfigError(`${key} points to ${paths[0]}, which does not exist`);
  }
  return paths.find((p) => existsSync(p));
}

const fileSchema = z.object({ clouds: z.record(z.string(), z.record(z.string(), z.unknown())).default({}) }).loose();

function readCloudsFile(path: string): Record<string, Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    // YAML errors quote the offending line, which can be a password: keep only the position.
    const pos = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new CloudConfigError(`${path}: not valid YAML${pos ? ` (line ${pos})` : ''}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) throw new CloudConfigError(`${path}: ${describeConfigIssues(parsed.error).slice(0, 5).join('; ')}`);
  return parsed.data.clouds;
}

/** Names of the clouds defined in the clouds.yaml that would be used. */
export function listCloudNames(opts: CloudsEnv = {}): string[] {
  const file = findConfigFile('clouds', opts);
  return file ? Object.keys(readCloudsFile(file)) : [];
}

/**
 * Loads one cloud: `name`, else OS_CLOUD, else the plain OS_* variables. secure.yaml
 * entries are merged over clouds.yaml entries (deeply), as openstacksdk does.
 */
export function loadCloudConfig(name?: string, opts: CloudsEnv = {}): CloudConfig {
  const env = opts.env ?? process.env;
  const wanted = name ?? env.OS_CLOUD;
  if (!wanted || wanted === ENVVARS_CLOUD) {
    if (!env.OS_AUTH_URL) {
      throw new CloudConfigError('no cloud selected: set OS_CLOUD (a clouds.yaml entry) or OS_AUTH_URL and the other OS_* variables');
    }
    return finish(fromEnv(env), 'environment (OS_* variables)', ENVVARS_CLOUD);
  }
  const file = findConfigFile('clouds', opts);
  if (!file) {
    throw new CloudConfigError(`cloud ${wanted}: no clouds.yaml found (looked in ${configSearchPath('clouds', opts).join(', ')})`);
  }
  const entry = readCloudsFile(file)[wanted];
  if (!entry) throw new CloudConfigError(`${file}: clouds.${wanted} is not defined`);
  const secureFile = findConfigFile('secure', opts);
  const secure = secureFile ? readCloudsFile(secureFile)[wanted] : undefined;
  const merged = secure ? deepMerge(entry, secure) : entry;
  const where = secure ? `${file} (+ ${secureFile})` : file;
  return finish(merged, where, wanted, `clouds.${wanted}.`);
}

function finish(raw: Record<string, unknown>, where: string, name: string, prefix = ''): CloudConfig {
  const { cloud, problems } = cloudEntryToConfig(name, raw, prefix);
  if (!cloud) throw new CloudConfigError(`${where}: ${problems.slice(0, 5).join('; ')}`);
  return cloud;
}

function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const pick = (key: string) => (env[key] ? env[key] : undefined);
  const auth: Record<string, string | undefined> = {
    auth_url: pick('OS_AUTH_URL'),
    username: pick('OS_USERNAME'),
    user_id: pick('OS_USER_ID'),
    password: pick('OS_PASSWORD'),
    user_domain_name: pick('OS_USER_DOMAIN_NAME'),
    user_domain_id: pick('OS_USER_DOMAIN_ID'),
    project_name: pick('OS_PROJECT_NAME') ?? pick('OS_TENANT_NAME'),
    project_id: pick('OS_PROJECT_ID') ?? pick('OS_TENANT_ID'),
    project_domain_name: pick('OS_PROJECT_DOMAIN_NAME'),
    project_domain_id: pick('OS_PROJECT_DOMAIN_ID'),
    domain_name: pick('OS_DOMAIN_NAME'),
    domain_id: pick('OS_DOMAIN_ID'),
    application_credential_id: pick('OS_APPLICATION_CREDENTIAL_ID'),
    application_credential_name: pick('OS_APPLICATION_CREDENTIAL_NAME'),
    application_credential_secret: pick('OS_APPLICATION_CREDENTIAL_SECRET'),
    token: pick('OS_TOKEN'),
  };
  const raw: Record<string, unknown> = {
    auth: Object.fromEntries(Object.entries(auth).filter(([, v]) => v !== undefined)),
    auth_type: pick('OS_AUTH_TYPE'),
    region_name: pick('OS_REGION_NAME'),
    interface: pick('OS_INTERFACE'),
    identity_api_version: pick('OS_IDENTITY_API_VERSION'),
    compute_api_version: pick('OS_COMPUTE_API_VERSION'),
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isRecord(b) && isRecord(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
