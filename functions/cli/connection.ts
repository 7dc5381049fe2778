// Where the service is, the token, and the default cloud: flags override the environment,
// which overrides the config file. The token never appears in any output.
import { CliError } from './cli-error';
import { readCliConfig, readTokenFile } from './config-file';
import { EXIT } from './exit-codes';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface GlobalOptions {
  url?: string;
  config?: string;
  tokenFile?: string;
  json?: boolean;
}

export interface Connection {
  /** base URL without a trailing slash */
  url: string;
  token: string | null;
  /** default cloud (SNAPFLOW_CLOUD or the file's `cloud`), before a command's --cloud */
  cloud: string | null;
  /** where the token came from, to say which one to fix after a 401 */
  tokenSource: string | null;
}

function normaliseUrl(raw: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(EXIT.usage, `${from}: not a URL: ${raw}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(EXIT.usage, `${from}: must be an http:// or https:// URL`);
  // the URL is quoted in error messages: nothing secret may ride in it
  if (u.username || u.password || u.search || u.hash)
    throw new CliError(EXIT.usage, `${from}: the service's base URL only (put the token in SNAPFLOW_TOKEN or the config file)`);
  return u.href.replace(/\/+$/, '');
}

export async function resolveConnection(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const file = await readCliConfig(opts.config, env);
  const url =
    opts.url !== undefined
      ? normaliseUrl(opts.url, '--url')
      : env.SNAPFLOW_URL
        ? normaliseUrl(env.SNAPFLOW_URL, 'SNAPFLOW_URL')
        : file?.url !== undefined
          ? normaliseUrl(file.url, `${file.path}: url`)
          : DEFAULT_URL;
  let token: string | null = null;
  let tokenSource: string | null = null;
  if (opts.tokenFile !== undefined) {
    token = readTokenFile(opts.tokenFile, '--token-file');
    tokenSource = `--token-file ${opts.tokenFile}`;
  } else if (env.SNAPFLOW_TOKEN) {
    token = env.SNAPFLOW_TOKEN.trim();
    tokenSource = 'SNAPFLOW_TOKEN';
  } else if (file?.token !== undefined) {
    token = file.token;
    tokenSource = `${file.path}: token`;
  } else if (file?.tokenFile !== undefined) {
    token = readTokenFile(file.tokenFile, `${file.path}: tokenFile`);
    tokenSource = `${file.path}: tokenFile`;
  }
  const cloud = env.SNAPFLOW_CLOUD || file?.cloud || null;
  return { url, token, cloud, tokenSource };
}
