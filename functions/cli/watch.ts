// `snapflow watch ID` and `--watch`: follows a job live. Each round reads the events after
// the last one seen (`/events?after=`) and then long-polls the job for a second, which
// both paces the loop and returns at once when the job ends.
import { type ApiClient, jobPath } from './api-client';
import { type EventJson, type EventsJson, isTerminalState, type JobJson } from './api-types';
import { EXIT, type ExitCode, exitCodeOfState } from './exit-codes';
import { printErr } from './output';
import { pollJob } from './wait';
import type { WatchView } from './watch-view';

const POLL_S = 1;

/** `--json`: JSON Lines, each event as it comes, then the job as the last line. */
function jsonLinesView(): WatchView {
  const line = (doc: unknown) => void process.stdout.write(`${JSON.stringify(doc)}\n`);
  return { start: () => {}, event: line, status: () => {}, end: line };
}

async function chooseView(json: boolean): Promise<WatchView> {
  if (json) return jsonLinesView();
  if (process.stdout.isTTY) return (await import('./watch-tty-view')).ttyView();
  return (await import('./watch-plain-view')).plainView();
}

export async function watchJob(api: ApiClient, id: string, timeoutS: number, json: boolean): Promise<ExitCode> {
  const deadline = Date.now() + timeoutS * 1000;
  const view = await chooseView(json);
  let job = await api.get<JobJson>(jobPath(id));
  view.start(job);
  let after = 0;

  const drainEvents = async () => {
    for (;;) {
      const page = await api.get<EventsJson>(`${jobPath(id)}/events`, { after });
      for (const e of page.events as EventJson[]) {
        after = Math.max(after, e.seq);
        view.event(e);
      }
      if (page.next === null || page.events.length === 0) return;
    }
  };

  for (;;) {
    await drainEvents();
    if (isTerminalState(job.state) || Date.now() >= deadline) break;
    job = await pollJob(api, id, POLL_S, deadline);
    // an ended job's last events come next; its end line follows them
    if (!isTerminalState(job.state)) await view.status(job);
  }
  const timedOut = !isTerminalState(job.state);
  await view.end(job, timedOut);
  if (timedOut) {
    printErr(`snapflow: stopped watching after ${timeoutS} s (the job goes on; snapflow watch ${job.id})`);
    return EXIT.timedOut;
  }
  return exitCodeOfState(job.state);
}
