// SNAPFLOW_DATA_DIR (default ./var): the admin token written when none is configured, and
// the simulator's clouds.yaml. Made 0700; the files in it 0600.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../shared/auth/hash';
import type { Config } from '../shared/config/load';
import { ensureDir, ensurePrivateFile, PRIVATE_DIR_MODE, settingName } from './node-paths';
import { fsReason, StartupError } from './node-startup-error';

export interface DataDir {
  path: string;
  setting: string;
}

export function prepareDataDir(env: Readonly<Record<string, string | undefined>>, warn: (line: string) => void): DataDir {
  const setting = settingName('SNAPFLOW_DATA_DIR', env.SNAPFLOW_DATA_DIR, './var');
  const path = ensureDir(env.SNAPFLOW_DATA_DIR || 'var', setting);
  const mode = statSync(path).mode & 0o777;
  // not changed behind the operator's back (it may be shared), but said
  if ((mode & ~PRIVATE_DIR_MODE) !== 0) warn(`${setting}: ${path} is mode ${mode.toString(8)}; others can list it (chmod 700 ${path})`);
  return { path, setting };
}

/** With no API token configured, make one admin token and leave it in a 0600 file (never in logs). */
export async function ensureAdminToken(config: Config, dir: DataDir, warn: (line: string) => void): Promise<string | null> {
  if (config.tokens.length > 0) return null;
  const file = join(dir.path, 'admin-token');
  let token: string;
  try {
    if (!ensurePrivateFile(file, dir.setting, { create: false, warn })) {
      writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    }
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`${dir.setting}: cannot write or read the admin token file ${file}: ${fsReason(err)}`);
  }
  if (token === '') throw new StartupError(`${dir.setting}: the admin token file ${file} is empty (delete it to get a new token)`);
  config.tokens.push({ name: 'local-admin', sha256: await sha256Hex(token), scopes: ['admin'], targets: ['**'] });
  return file;
}
