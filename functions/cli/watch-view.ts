// What the watch views share: the interface the watch loop drives, and the bookkeeping
// both the terminal and the plain view need (since when the job has been waiting, the
// transfer rate of the current progress phase).
import type { EventJson, JobJson } from './api-types';
import { formatBytes, formatDuration, formatRate } from './format';

export interface WatchView {
  start(job: JobJson): void;
  event(e: EventJson): void;
  /** the job as the last poll saw it (progress, state) */
  status(job: JobJson): Promise<void> | void;
  /** the job ended (or the watch gave up: `timedOut`) */
  end(job: JobJson, timedOut: boolean): Promise<void> | void;
}

/** Event types that are bookkeeping rather than news (each step's claim). */
export const QUIET_EVENTS = new Set(['claimed']);

export function eventMark(type: string): string {
  if (type === 'step.done') return 'done';
  if (type === 'step.wait') return 'waiting';
  if (type.endsWith('.retry')) return 'retrying';
  if (type.endsWith('.failed') || type === 'failed') return 'FAILED';
  return type;
}

/** Tracks the current wait (for "waiting 42s") and byte samples (for the rate). */
export class WatchTracker {
  waitStep: string | null = null;
  waitSince = 0;
  waitMessage = '';
  private phase: string | null = null;
  private samples: { t: number; done: number }[] = [];

  onEvent(e: EventJson): void {
    if (e.type === 'step.wait') {
      if (this.waitStep !== e.step) {
        this.waitStep = e.step;
        this.waitSince = Date.parse(e.at);
      }
      this.waitMessage = e.message ?? '';
    } else if (e.type !== 'claimed') this.waitStep = null;
  }

  waitingFor(now = Date.now()): string | null {
    if (this.waitStep === null) return null;
    return `waiting ${formatDuration(now - this.waitSince)} in ${this.waitStep}${this.waitMessage ? `: ${this.waitMessage}` : ''}`;
  }

  /** Bytes per second over the last few seconds of this phase; null until two samples differ. */
  rate(phase: string, done: number, now = Date.now()): number | null {
    if (phase !== this.phase || (this.samples.length > 0 && done < this.samples[this.samples.length - 1]!.done)) {
      this.phase = phase;
      this.samples = [];
    }
    const last = this.samples[this.samples.length - 1];
    if (!last || last.done !== done) this.samples.push({ t: now, done });
    // a window of recent samples: a stall shows as a falling rate, not the average so far
    while (this.samples.length > 2 && now - this.samples[0]!.t > 10_000) this.samples.shift();
    const first = this.samples[0]!;
    const span = now - first.t;
    return this.samples.length > 1 && span > 0 ? ((done - first.done) * 1000) / span : null;
  }
}

export interface ByteProgress {
  phase: string;
  done: number;
  total: number | null;
}

/** Progress that counts bytes (runner transfers), or null. */
export function byteProgress(job: JobJson): ByteProgress | null {
  const p = job.progress;
  if (!p || typeof p.done !== 'number') return null;
  return { phase: p.phase, done: p.done, total: typeof p.total === 'number' && p.total > 0 ? p.total : null };
}

export function progressText(p: ByteProgress, rate: number | null): string {
  const pct = p.total ? `${Math.min(100, Math.floor((p.done * 100) / p.total))}% ` : '';
  const amount = p.total ? `${formatBytes(p.done)} / ${formatBytes(p.total)}` : formatBytes(p.done);
  return `${p.phase} ${pct}${amount}${rate !== null ? `, ${formatRate(rate)}` : ''}`;
}
