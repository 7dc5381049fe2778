import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseYamlText } from '../config/yaml-errors';
import { type CloudConfig, cloudEntryToConfig, describeConfigIssues } from './cloud-config';

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

// Entries are checked one by one (cloudEntryToConfig): one broken entry makes that cloud
// unusable, not the whole file.
const fileSchema = z.object({ clouds: z.record(z.string(), z.unknown()).default({}) }).loose();

function readCloudsFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CloudConfigError(`${path}: cannot read the file (${(err as { code?: string }).code ?? 'read error'})`);
  }
  const parsed = parseYamlText(text, path);
  if (!parsed.ok) throw new CloudConfigError(parsed.problems.join('; '));
  const file = fileSchema.safeParse(parsed.value ?? {});
  if (!file.success) throw new CloudConfigError(`${path}: ${describeConfigIssues(file.error).slice(0, 5).join('; ')}`);
  return file.data.clouds;
}

/** Names of the clouds defined in the clouds.yaml that would be used. */
export function listCloudNames(opts: CloudsEnv = {}): string[] {
  const file = findConfigFile('clouds', opts);
  return file ? Object.keys(readCloudsFile(file)) : [];
}

/** Every configured cloud, each either usable or with the reason it is not. */
export interface CloudSet {
  /** The clouds.yaml in use (undefined: plain OS_* variables, or nothing configured). */
  file: string | undefined;
  names: string[];
  clouds: Map<string, CloudConfig>;
  /** `<file>: clouds.<name>.<key>: <problem>` per unusable cloud; never a value. */
  unusable: Map<string, string>;
}

/**
 * Loads every cloud of the clouds.yaml in use (or the `envvars` cloud of plain OS_*
 * variables when there is no clouds.yaml). A broken entry is reported in `unusable` and
 * the others still load; only a file that cannot be read or parsed at all throws.
 */
export function loadAllClouds(opts: CloudsEnv = {}): CloudSet {
  const env = opts.env ?? process.env;
  const set: CloudSet = { file: findConfigFile('clouds', opts), names: [], clouds: new Map(), unusable: new Map() };
  const add = (name: string, load: () => CloudConfig) => {
    set.names.push(name);
    try {
      set.clouds.set(name, load());
    } catch (err) {
      if (!(err instanceof CloudConfigError)) throw err;
      set.unusable.set(name, err.message);
    }
  };
  if (!set.file) {
    if (env.OS_AUTH_URL) add(ENVVARS_CLOUD, () => loadCloudConfig(ENVVARS_CLOUD, opts));
    return set;
  }
  const entries = readCloudsFile(set.file);
  const secureFile = findConfigFile('secure', opts);
  const secure = secureFile ? readCloudsFile(secureFile) : {};
  for (const name of Object.keys(entries)) add(name, () => fromEntries(name, set.file!, entries, secureFile, secure));
  return set;
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
  const secureFile = findConfigFile('secure', opts);
  return fromEntries(wanted, file, readCloudsFile(file), secureFile, secureFile ? readCloudsFile(secureFile) : {});
}

function fromEntries(
  name: string,
  file: string,
  entries: Record<string, unknown>,
  secureFile: string | undefined,
  secureEntries: Record<string, unknown>,
): CloudConfig {
  const entry = entries[name];
  if (entry === undefined) throw new CloudConfigError(`${file}: clouds.${name} is not defined`);
  if (!isRecord(entry)) throw new CloudConfigError(`${file}: clouds.${name}: expected a mapping of settings (auth, region_name, …)`);
  const secure = secureEntries[name];
  if (secure !== undefined && !isRecord(secure)) throw new CloudConfigError(`${secureFile}: clouds.${name}: expected a mapping of settings`);
  const merged = secure ? deepMerge(entry, secure) : entry;
  const where = secure ? `${file} (+ ${secureFile})` : file;
  return finish(merged, where, name, `clouds.${name}.`);
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
