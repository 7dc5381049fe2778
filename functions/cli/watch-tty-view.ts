// The watch view on a terminal: a line per step as it passes, and one live line below them
// — the progress bar (cli-progress, loaded only when a transfer reports bytes) or what the
// job is doing now with the time it has been at it.
import type { SingleBar } from 'cli-progress';
import type { EventJson, JobJson } from './api-types';
import { formatBytes, formatDuration, formatRate, formatResult, jobOutcomeLine, targetOf } from './format';
import { printLine } from './output';
import { type ByteProgress, byteProgress, eventMark, QUIET_EVENTS, WatchTracker, type WatchView } from './watch-view';

const CLEAR_LINE = '\r\x1b[2K';

async function newBar(): Promise<SingleBar> {
  // CommonJS: its exports are the default export of the ESM namespace
  const mod = (await import('cli-progress')).default;
  const { SingleBar } = mod;
  return new SingleBar({
    stream: process.stdout,
    format: '  {phase} [{bar}] {percentage}% {amount} {rate}',
    barsize: 30,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    fps: 5,
    clearOnComplete: true,
    hideCursor: false,
    gracefulExit: true,
  });
}

export function ttyView(): WatchView {
  const out = process.stdout;
  const tracker = new WatchTracker();
  let liveText = '';
  let bar: SingleBar | null = null;
  let barPhase: string | null = null;
  let last: { total: number; done: number; payload: object } | null = null;
  let stepSince = Date.now();
  let currentStep: string | null = null;
  let waitedFor: { step: string | null; since: number } | null = null;

  const clip = (s: string) => (out.columns && s.length >= out.columns ? `${s.slice(0, out.columns - 2)}…` : s);
  const drawLive = () => {
    if (bar === null && liveText) out.write(`${CLEAR_LINE}${clip(liveText)}`);
  };
  const clearLive = () => {
    if (bar !== null) bar.stop();
    else if (liveText) out.write(CLEAR_LINE);
  };
  const restoreLive = () => {
    if (bar !== null && last) bar.start(last.total, last.done, last.payload);
    else drawLive();
  };
  const above = (line: string) => {
    clearLive();
    out.write(`${clip(line)}\n`);
    restoreLive();
  };

  /** The bar of a finished phase gives way to a line saying how far it got. */
  function retireBar(): void {
    if (bar === null) return;
    bar.stop();
    bar = null;
    const p = last?.payload as { phase: string; amount: string; rate: string } | undefined;
    if (p) out.write(`  ${p.phase} ${p.amount}${p.rate ? `, ${p.rate}` : ''}\n`);
    barPhase = null;
    last = null;
  }

  async function showBar(p: ByteProgress & { total: number }, rate: number | null): Promise<void> {
    if (bar !== null && barPhase !== p.phase) retireBar();
    const payload = { phase: p.phase, amount: `${formatBytes(p.done)} / ${formatBytes(p.total)}`, rate: rate === null ? '' : formatRate(rate) };
    last = { total: p.total, done: p.done, payload };
    if (bar === null) {
      if (liveText) out.write(CLEAR_LINE);
      bar = await newBar();
      barPhase = p.phase;
      bar.start(p.total, p.done, payload);
      return;
    }
    bar.setTotal(p.total);
    bar.update(p.done, payload);
  }

  return {
    start(job) {
      printLine(`watching ${job.kind} job ${job.id} on ${targetOf(job)}`);
      currentStep = job.step;
    },
    event(e: EventJson) {
      tracker.onEvent(e);
      if (e.type === 'claimed' && e.step !== currentStep) {
        currentStep = e.step;
        stepSince = Date.parse(e.at);
      }
      if (e.type === 'step.wait' && waitedFor?.step !== e.step) waitedFor = { step: e.step, since: Date.parse(e.at) };
      if (QUIET_EVENTS.has(e.type) || e.type === 'step.wait') return;
      const data = e.data as { durationMs?: unknown } | null;
      let detail = e.message ?? '';
      if (e.type === 'step.done') {
        const waited = waitedFor && waitedFor.step === e.step ? `waited ${formatDuration(Date.parse(e.at) - waitedFor.since)}` : null;
        const took = typeof data?.durationMs === 'number' ? formatDuration(data.durationMs) : null;
        detail = waited ?? took ?? '';
        waitedFor = null;
      }
      const mark = e.type === 'step.done' ? '✓' : e.type.endsWith('failed') ? '✗' : e.type.endsWith('retry') ? '↻' : '·';
      above(`  ${mark} ${e.step ?? eventMark(e.type)}${detail ? `  ${detail}` : ''}`);
    },
    async status(job: JobJson) {
      const p = byteProgress(job);
      if (p && p.total !== null) {
        await showBar({ ...p, total: p.total }, tracker.rate(p.phase, p.done));
        return;
      }
      retireBar();
      const now = Date.now();
      const doing = p ? `${p.phase} ${formatBytes(p.done)}` : `${job.state}${job.step ? ` ${job.step}` : ''} ${formatDuration(now - stepSince)}`;
      liveText = `  ${tracker.waitingFor(now) ?? doing}`;
      drawLive();
    },
    end(job, timedOut) {
      retireBar();
      if (liveText) out.write(CLEAR_LINE);
      liveText = '';
      printLine(jobOutcomeLine(job));
      if (!timedOut && job.state === 'succeeded') for (const l of formatResult(job.result)) printLine(l);
    },
  };
}
