// CPU accounting from /proc (Linux) for the benchmarks: one process, a process and its
// children (a PostgreSQL postmaster and its backends), and the whole machine (the box is
// shared: what others used during a run explains a good part of its wall time).
import { readdirSync, readFileSync } from 'node:fs';

const HZ = 100; // USER_HZ

function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // exited meanwhile
  }
}

/** user+system CPU seconds of one process (NaN once it is gone). */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / HZ : Number.NaN;
}

/** CPU seconds per pid of `pid` and its direct children (backends that exited are not counted). */
export function treeCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(d);
    if (f && (Number(d) === pid || Number(f[1]) === pid)) out.set(Number(d), (Number(f[11]) + Number(f[12])) / HZ);
  }
  return out;
}

/** CPU used since `before` by the tree alive now (processes that appeared since count fully). */
export function treeCpuSince(pid: number, before: Map<number, number>): number {
  let total = 0;
  for (const [p, s] of treeCpu(pid)) total += s - (before.get(p) ?? 0);
  return total;
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** Busy and total CPU seconds of all cores since boot (/proc/stat). */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / HZ, total: total / HZ };
}

export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}
