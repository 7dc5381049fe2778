// Directories and private files the Node entry creates (data directory, the SQLite job
// table's directory and files). Directories are made one level at a time rather than with
// mkdirSync({recursive}): on /proc, Node 20's recursive mkdir loops for ever at full CPU.
// Every failure names the setting it came from and the path.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsReason, StartupError } from './node-startup-error';

/** A directory only this user can enter (job table, tokens). */
export const PRIVATE_DIR_MODE = 0o700;
/** A file only this user can read (job table, tokens). */
export const PRIVATE_FILE_MODE = 0o600;

function statOrNull(path: string, setting: string) {
  try {
    return statSync(path);
  } catch (err) {
    // ENOTDIR: a file on the way; the walk up finds it and says so
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new StartupError(`${setting}: cannot use ${path}: ${fsReason(err)}`);
  }
}

/**
 * Makes `dir` (and missing parents, mode 0700) or checks that it is a directory. An existing
 * directory's mode is left alone: it may be shared (e.g. /tmp).
 */
export function ensureDir(dir: string, setting: string): string {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let cur = target; ; cur = dirname(cur)) {
    const st = statOrNull(cur, setting);
    if (st) {
      if (!st.isDirectory()) {
        const what = cur === target ? `${target} is not a directory` : `${cur} (on the way to ${target}) is not a directory`;
        throw new StartupError(`${setting}: ${what}`);
      }
      break;
    }
    missing.unshift(cur);
    if (dirname(cur) === cur) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: PRIVATE_DIR_MODE });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EEXIST' && statOrNull(d, setting)?.isDirectory()) continue; // made meanwhile
      // ENOENT with an existing parent: a pseudo file system (/proc, /sys) refusing it
      const reason = code === 'ENOENT' ? `the file system does not allow it (${code})` : fsReason(err);
      throw new StartupError(`${setting}: cannot create the directory ${d}: ${reason}`);
    }
  }
  return target;
}

/**
 * Creates `path` as an empty 0600 file if missing, or tightens an existing file to 0600
 * (files written by earlier versions were 0644; one owned by another user cannot be
 * changed: `warn` hears about it, the file still works). Returns false when the file is
 * absent and `create` is false.
 */
export function ensurePrivateFile(path: string, setting: string, opts: { create?: boolean; warn?: (line: string) => void } = {}): boolean {
  const st = statOrNull(path, setting);
  if (st?.isDirectory()) throw new StartupError(`${setting}: ${path} is a directory, not a file`);
  if (!st) {
    if (opts.create === false) return false;
    try {
      closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
    } catch (err) {
      const reason = (err as { code?: string }).code === 'ENOENT' ? 'the file system does not allow it (ENOENT)' : fsReason(err);
      throw new StartupError(`${setting}: cannot create the file ${path}: ${reason}`);
    }
    return true;
  }
  if ((st.mode & 0o777) !== PRIVATE_FILE_MODE) {
    try {
      chmodSync(path, PRIVATE_FILE_MODE);
    } catch (err) {
      opts.warn?.(`${setting}: ${path} is mode ${(st.mode & 0o777).toString(8)} and cannot be restricted to 600: ${fsReason(err)}`);
    }
  }
  return true;
}

/** `NAME=value`, or `NAME (unset: default)` so the operator sees where a path came from. */
export function settingName(name: string, value: string | undefined, fallback: string): string {
  return value ? `${name}=${value}` : `${name} (unset: ${fallback})`;
}
