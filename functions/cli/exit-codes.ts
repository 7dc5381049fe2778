// The exit codes of `snapflow`, for CI scripts: one per way a command can end. The README's
// exit-code table is written from this list; keep them in step.
export const EXIT = {
  /** the command did what it was asked; for a waited job: it succeeded */
  ok: 0,
  /** the waited job failed */
  jobFailed: 1,
  /** bad arguments or options, or a destructive command not confirmed */
  usage: 2,
  /** the waited job was cancelled */
  jobCancelled: 3,
  /** the wait's deadline passed with the job still unfinished */
  timedOut: 4,
  /** the service refused the token: 401 (missing or unknown) or 403 (scope or target) */
  auth: 5,
  /** the service could not be reached (connection refused, DNS, no answer in time) */
  unreachable: 6,
  /** the service rejected the request: 400 (bad field), 404, 409 (busy server, finished job) */
  rejected: 7,
  /** the service failed (5xx) or answered something that is not snapflow's API */
  serviceError: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a job that ended (or not, when the wait gave up). */
export function exitCodeOfState(state: string): ExitCode {
  if (state === 'succeeded') return EXIT.ok;
  if (state === 'failed') return EXIT.jobFailed;
  if (state === 'cancelled') return EXIT.jobCancelled;
  return EXIT.timedOut;
}
