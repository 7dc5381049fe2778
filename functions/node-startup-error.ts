// How the Node entry fails: one clear log line naming the setting and the path, a
// non-zero exit, never a stack trace. Start-up code throws StartupError; anything else
// that escapes is reported the same way (its message only) and exits 1.
import type { StepLogger } from '../shared/engine/define';

/** A setting or the environment must change before a restart can succeed (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** Anything else: an unexpected error at start-up, or after it. */
export const EXIT_FAILURE = 1;

export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CONFIG,
  ) {
    super(message);
  }
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'something else already exists there',
  ENOENT: 'no such file or directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** `permission denied (EACCES)`: a file-system error in words, with its code. */
export function fsReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return `${FS_REASONS[code] ?? 'error'} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? (err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message) : String(err);
  return text.replace(/\s*\n\s*/g, ' | ');
}

/**
 * Process-level guards. An unhandled rejection is a bug somewhere, but the service can keep
 * serving: one line, and on. An uncaught exception leaves the process in an unknown state:
 * one line, exit 1.
 */
export function installProcessGuards(log: Pick<StepLogger, 'error'>): void {
  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled rejection (the service keeps running): ${oneLine(reason)}`);
  });
  process.on('uncaughtException', (err) => {
    log.error(`uncaught exception, exiting: ${oneLine(err)}`);
    process.exit(EXIT_FAILURE);
  });
}

/** The end of a failed start: the reason on one line, then exit. */
export function exitForStartupError(log: Pick<StepLogger, 'error'>, err: unknown): never {
  if (err instanceof StartupError) {
    log.error(err.message);
    process.exit(err.exitCode);
  }
  log.error(`start-up failed: ${oneLine(err)}`);
  process.exit(EXIT_FAILURE);
}
