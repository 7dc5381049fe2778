// The CLI's own config file (`~/.config/snapflow/cli.yaml` or --config): where the service
// is and how to authenticate. The YAML parser and zod are loaded only when a file exists,
// so a plain invocation does not pay for them.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { formatIssues } from '../../shared/config/zod-issues';
import { CliError } from './cli-error';
import { EXIT } from './exit-codes';

export interface CliConfigFile {
  path: string;
  url?: string;
  token?: string;
  /** absolute path of a file holding the token */
  tokenFile?: string;
  cloud?: string;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'snapflow', 'cli.yaml');
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  return p === '~' || p.startsWith('~/') ? join(env.HOME || homedir(), p.slice(1)) : p;
}

const usage = (message: string) => new CliError(EXIT.usage, message);

/** The file named by --config (which must exist), else the default path if it exists. */
export async function readCliConfig(explicit: string | undefined, env: NodeJS.ProcessEnv): Promise<CliConfigFile | null> {
  const path = explicit !== undefined ? resolve(expandHome(explicit, env)) : defaultConfigPath(env);
  if (!existsSync(path)) {
    if (explicit !== undefined) throw usage(`${path}: config file not found`);
    return null;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usage(`${path}: cannot read the config file (${(err as { code?: string }).code ?? 'read error'})`);
  }
  const [yamlNs, { z }] = await Promise.all([import('yaml'), import('zod')]);
  // yaml is CommonJS on Node: the bundle exposes it as the default export only
  const { parseDocument } = yamlNs.default;
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // yaml's messages quote the offending line, which could be the token: position only
    const pos = doc.errors[0]?.linePos?.[0];
    throw usage(`${path}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error (${doc.errors[0]?.code})`);
  }
  const schema = z.strictObject({
    url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    cloud: z.string().min(1).max(255).optional(),
  });
  const r = schema.safeParse(doc.toJS() ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    // an unknown key is named itself (a typo such as `tokenfile` must say which line is wrong)
    if (issue?.code === 'unrecognized_keys') throw usage(`${path}: ${issue.keys.join(', ')}: unknown field (known: url, token, tokenFile, cloud)`);
    throw usage(formatIssues(r.error, path)[0] ?? `${path}: invalid`);
  }
  if (r.data.token !== undefined && r.data.tokenFile !== undefined) throw usage(`${path}: token, tokenFile: set one of them, not both`);
  const tokenFile = r.data.tokenFile === undefined ? undefined : expandHome(r.data.tokenFile, env);
  return {
    path,
    ...(r.data.url !== undefined ? { url: r.data.url } : {}),
    ...(r.data.token !== undefined ? { token: r.data.token } : {}),
    // relative to the config file, so the pair can be moved together
    ...(tokenFile !== undefined ? { tokenFile: isAbsolute(tokenFile) ? tokenFile : resolve(dirname(path), tokenFile) } : {}),
    ...(r.data.cloud !== undefined ? { cloud: r.data.cloud } : {}),
  };
}

/** The token in a file (first line, trimmed); errors name the file, never its content. */
export function readTokenFile(path: string, from: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usage(`${from}: cannot read the token file ${path} (${(err as { code?: string }).code ?? 'read error'})`);
  }
  const token = text.split('\n')[0]?.trim() ?? '';
  if (token === '') throw usage(`${from}: the token file ${path} is empty`);
  return token;
}
