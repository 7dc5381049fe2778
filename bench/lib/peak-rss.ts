import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

// Runs a command and reports its peak resident set size. GNU time (%M, from wait4's
// rusage) is exact; without it we poll VmHWM, the kernel's own high-water mark, which
// only misses growth in the last poll interval before exit.

const GNU_TIME = '/usr/bin/time';
const POLL_MS = 20;

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak RSS in KiB, undefined when it could not be read. */
  peakRssKiB: number | undefined;
  rssMethod: 'gnu-time' | 'vmhwm-poll';
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Scratch file for GNU time's report. */
  rssFile: string;
  /** Lets the caller kill the child on Ctrl-C. */
  onSpawn?: (child: ChildProcess) => void;
}

export const hasGnuTime = (): boolean => existsSync(GNU_TIME);

export function runMeasured(cmd: string, args: string[], opts: RunOptions): Promise<MeasuredRun> {
  const useTime = hasGnuTime();
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', opts.rssFile, cmd, ...args]] : [cmd, args];
  const started = performance.now();
  const child = spawn(file, argv, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-16_384)));
  let polled: number | undefined;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        const kib = readVmHwm(child.pid);
        if (kib !== undefined) polled = Math.max(polled ?? 0, kib);
      }, POLL_MS);
  let killTimer: NodeJS.Timeout | undefined;
  const deadline = setTimeout(() => {
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  }, opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(deadline);
      if (poll) clearInterval(poll);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      if (poll) clearInterval(poll);
      const wallMs = performance.now() - started;
      const peakRssKiB = useTime ? readTimeReport(opts.rssFile) : polled;
      if (code === null && signal === 'SIGTERM' && wallMs >= opts.timeoutMs) stderr += `\n(killed after the ${opts.timeoutMs} ms deadline)`;
      resolve({ code, signal, stdout, stderr, wallMs, peakRssKiB, rssMethod: useTime ? 'gnu-time' : 'vmhwm-poll' });
    });
  });
}

/** VmHWM of a live process in KiB (also used by a child to report on itself via "self"). */
export function readVmHwm(pid: number | 'self' | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // already exited
  }
}

function readTimeReport(path: string): number | undefined {
  try {
    // A killed command makes GNU time prepend "Command terminated by signal N".
    const last = readFileSync(path, 'utf8').trim().split('\n').pop() ?? '';
    rmSync(path, { force: true });
    return /^\d+$/.test(last) ? Number(last) : undefined;
  } catch {
    return undefined;
  }
}
