// `snapflow wait ID` and `--wait`: the long-poll GET /v1/jobs/:id/wait?timeout= again and
// again until the job ends or our own deadline passes. The exit code says how it ended.
import { type ApiClient, jobPath } from './api-client';
import { isTerminalState, type WaitJson } from './api-types';
import { CliError } from './cli-error';
import { EXIT, type ExitCode, exitCodeOfState } from './exit-codes';
import { formatResult, jobOutcomeLine } from './format';
import { printErr, printJson, printLine } from './output';

/** The service's long-poll limit per request. */
const MAX_POLL_S = 300;
/** A long-poll request may take this much longer than its timeout before we call it lost. */
const POLL_SLACK_MS = 30_000;
/** Connection failures in a row tolerated while waiting (a service restart), with backoff. */
const RETRIES = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One long-poll, retried across short outages of the service until `deadline`. */
export async function pollJob(api: ApiClient, id: string, timeoutS: number, deadline: number): Promise<WaitJson> {
  for (let failures = 0; ; failures++) {
    try {
      return await api.get<WaitJson>(`${jobPath(id)}/wait`, { timeout: timeoutS }, timeoutS * 1000 + POLL_SLACK_MS);
    } catch (err) {
      const backoff = 1000 * 2 ** failures;
      if (!(err instanceof CliError) || err.exitCode !== EXIT.unreachable || failures >= RETRIES || Date.now() + backoff > deadline) throw err;
      await sleep(backoff);
    }
  }
}

/** Waits until the job is terminal or `timeoutS` has passed; the last reply either way. */
export async function waitForJob(api: ApiClient, id: string, timeoutS: number): Promise<WaitJson> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    const job = await pollJob(api, id, Math.max(1, Math.min(MAX_POLL_S, left)), deadline);
    if (isTerminalState(job.state) || Date.now() >= deadline) return job;
  }
}

/** Prints how the waited job ended and returns the exit code. */
export function reportWaited(job: WaitJson, json: boolean, timeoutS: number): ExitCode {
  const code = isTerminalState(job.state) ? exitCodeOfState(job.state) : EXIT.timedOut;
  if (json) printJson(job);
  else {
    printLine(jobOutcomeLine(job));
    if (job.state === 'succeeded') for (const l of formatResult(job.result)) printLine(l);
  }
  if (code === EXIT.timedOut) printErr(`snapflow: gave up waiting after ${timeoutS} s (the job goes on; snapflow wait ${job.id})`);
  return code;
}

export async function waitCommand(api: ApiClient, id: string, timeoutS: number, json: boolean): Promise<ExitCode> {
  return reportWaited(await waitForJob(api, id, timeoutS), json, timeoutS);
}
