// The watch view for a pipe or a file: one plain line per thing that happened, no terminal
// control. Progress is a line per tenth of the transfer (or per phase), and a long wait
// says it is still waiting every half minute, so a CI log shows the job is alive.
import type { EventJson, JobJson } from './api-types';
import { eventLine, formatDuration, formatResult, jobOutcomeLine, targetOf } from './format';
import { printLine } from './output';
import { byteProgress, progressText, QUIET_EVENTS, WatchTracker, type WatchView } from './watch-view';

const STILL_WAITING_EVERY_MS = 30_000;

export function plainView(): WatchView {
  const tracker = new WatchTracker();
  let since = Date.now();
  let lastPhase: string | null = null;
  let lastTenth = -1;
  let lastWaitLine = 0;
  const stamp = () => `+${formatDuration(Date.now() - since)}`.padEnd(8);

  return {
    start(job) {
      since = Date.parse(job.createdAt);
      printLine(`watching ${job.kind} job ${job.id} on ${targetOf(job)} (${job.state})`);
    },
    event(e: EventJson) {
      tracker.onEvent(e);
      if (QUIET_EVENTS.has(e.type)) return;
      printLine(eventLine(e, since));
      if (e.type === 'step.wait') lastWaitLine = Date.now();
    },
    status(job: JobJson) {
      const p = byteProgress(job);
      if (p) {
        const rate = tracker.rate(p.phase, p.done);
        const tenth = p.total ? Math.floor((p.done * 10) / p.total) : 0;
        if (p.phase !== lastPhase || tenth > lastTenth) {
          lastPhase = p.phase;
          lastTenth = tenth;
          printLine(`${stamp()} ${progressText(p, rate)}`);
        }
        return;
      }
      lastPhase = null;
      lastTenth = -1;
      const waiting = tracker.waitingFor();
      if (waiting !== null && Date.now() - lastWaitLine >= STILL_WAITING_EVERY_MS) {
        lastWaitLine = Date.now();
        printLine(`${stamp()} still ${waiting}`);
      }
    },
    end(job, timedOut) {
      printLine(jobOutcomeLine(job));
      if (!timedOut && job.state === 'succeeded') for (const l of formatResult(job.result)) printLine(l);
    },
  };
}
