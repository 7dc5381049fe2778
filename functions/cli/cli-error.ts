// One error type for everything that ends a command early: a one-line message for stderr,
// the exit code, and (when the service answered) its JSON body for `--json`.
import type { ExitCode } from './exit-codes';

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** the service's error envelope, printed on stdout with --json */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
