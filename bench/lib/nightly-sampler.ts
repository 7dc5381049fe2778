// Samples a job table's size while a nightly runs (the peak is the figure: nothing prunes
// the table during the run) and says when the run is over: every expected job exists and
// none is unfinished.
import type { JobTableReader, TableCounts } from './nightly-table';

export interface Sampled {
  peakJobs: number;
  peakEvents: number;
  last: TableCounts;
  samples: number;
  /** false: the deadline passed first */
  done: boolean;
}

export async function sampleUntilDone(
  table: JobTableReader,
  o: { expected: number; everyMs: number; deadline: number; onSample?: (c: TableCounts, now: number) => void },
): Promise<Sampled> {
  const out: Sampled = { peakJobs: 0, peakEvents: 0, last: { jobs: 0, events: 0, unfinished: 0 }, samples: 0, done: false };
  for (;;) {
    const started = Date.now();
    const c = await table.counts();
    out.samples++;
    out.last = c;
    out.peakJobs = Math.max(out.peakJobs, c.jobs);
    out.peakEvents = Math.max(out.peakEvents, c.events);
    o.onSample?.(c, started);
    if (c.jobs >= o.expected && c.unfinished === 0) {
      out.done = true;
      return out;
    }
    if (Date.now() > o.deadline) return out;
    await new Promise((r) => setTimeout(r, Math.max(0, o.everyMs - (Date.now() - started))));
  }
}
