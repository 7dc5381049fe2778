import type { CleanMode } from '../shared/runner/protocol';
import { TaskError } from './task-error';

// The virt-sysprep command line of each cleaning mode, as an argv array. The documented
// command lines do not do what they claim on their own (../shared/lab/sysprep/README.md):
//  - `--enable` without `customize` silently skips every `--delete` (limited, hostname);
//  - the `customize` step regenerates /etc/machine-id after the machine-id operation emptied
//    it, so full mode empties it with `--write /etc/machine-id:` (`--truncate` fails on SLC6,
//    which has no such file);
//  - no operation touches /etc/hostname, so hostname mode writes it;
//  - without `--format` a raw file is probed, so the format is always given.
// Operations and paths come from whitelists; nothing from a task reaches argv unchecked.

/** Deleted by every Linux cleaning (the CERN procedures). */
export const DEFAULT_DELETE_PATHS = ['/etc/krb5.keytab', '/var/lib/cern-private-cloud-addons/state'] as const;

/** The operations of the limited set, and what hostname mode adds; full mode uses the defaults. */
export const LIMITED_OPERATIONS = ['udev-persistent-net', 'net-hwaddr', 'customize'] as const;
export const HOSTNAME_OPERATIONS = ['udev-persistent-net', 'net-hwaddr', 'net-hostname', 'customize'] as const;

/** Formats the runner cleans (virt-sysprep --format, qemu-img -f). */
export const CLEANABLE_FORMATS = ['qcow2', 'raw'] as const;
export type CleanableFormat = (typeof CLEANABLE_FORMATS)[number];

export interface CleanSpec {
  mode: CleanMode;
  deletePaths: readonly string[];
  hostname: string | null;
  os: 'LINUX' | 'WINDOWS';
}

/** What the cleaning must leave behind, for the verify pass. */
export interface CleanPlan {
  args: string[];
  /** Linux guests get the file checks; a Windows guest only the check that an OS is still there. */
  linux: boolean;
  deleted: string[];
  emptyMachineId: boolean;
  hostname: string | null;
}

// Plain absolute paths, or globs virt-sysprep expands (`*`, `?`, `[...]`) when whitelisted.
const SAFE_PATH = /^\/[A-Za-z0-9._+@%=\-/*?[\]]+$/;
const HOSTNAME = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;

export function buildSysprepCommand(spec: CleanSpec, file: string, format: string, extraWhitelist: readonly string[]): CleanPlan {
  if (!(CLEANABLE_FORMATS as readonly string[]).includes(format)) {
    throw new TaskError('unsupported_format', `the runner cleans ${CLEANABLE_FORMATS.join(' and ')} images, not ${format}`, false);
  }
  if (spec.os === 'WINDOWS') return windowsCommand(spec, file, format);
  const allowed = new Set<string>([...DEFAULT_DELETE_PATHS, ...extraWhitelist]);
  const refused = spec.deletePaths.filter((p) => !allowed.has(p) || !SAFE_PATH.test(p) || p.split('/').includes('..'));
  if (refused.length) {
    throw new TaskError('path_not_allowed', `delete paths outside the runner's whitelist: ${refused.map((p) => JSON.stringify(p)).join(', ')}`, false);
  }
  const deleted = [...new Set([...DEFAULT_DELETE_PATHS, ...spec.deletePaths])];
  const args = ['--format', format, '--add', file];
  if (spec.mode === 'limited') args.push('--enable', LIMITED_OPERATIONS.join(','));
  if (spec.mode === 'hostname') args.push('--enable', HOSTNAME_OPERATIONS.join(','));
  for (const p of deleted) args.push('--delete', p);
  let hostname: string | null = null;
  if (spec.mode === 'full') {
    if (spec.hostname !== null) throw new TaskError('path_not_allowed', 'a hostname is only written in hostname mode', false);
    args.push('--write', '/etc/machine-id:');
  } else if (spec.mode === 'hostname') {
    if (spec.hostname === null || !HOSTNAME.test(spec.hostname) || spec.hostname.length > 253) {
      throw new TaskError('path_not_allowed', `hostname mode needs an RFC 1123 host name, got ${JSON.stringify(spec.hostname)}`, false);
    }
    hostname = spec.hostname;
    args.push('--write', `/etc/hostname:${hostname}\n`);
  } else if (spec.hostname !== null) {
    throw new TaskError('path_not_allowed', 'a hostname is only written in hostname mode', false);
  }
  return { args, linux: true, deleted, emptyMachineId: spec.mode === 'full', hostname };
}

/**
 * Windows guests: virt-sysprep's default operations only (its Linux-file operations skip a
 * Windows guest); the Linux paths, the machine-id and the network-script modes do not apply.
 */
function windowsCommand(spec: CleanSpec, file: string, format: string): CleanPlan {
  if (spec.mode !== 'full')
    throw new TaskError('path_not_allowed', `${spec.mode} cleaning is for Linux guests; Windows images get the full default operations`, false);
  if (spec.deletePaths.length) throw new TaskError('path_not_allowed', 'delete paths are Linux paths; a Windows cleaning takes none', false);
  return { args: ['--format', format, '--add', file], linux: false, deleted: [], emptyMachineId: false, hostname: null };
}
