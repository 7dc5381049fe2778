import { statfs } from 'node:fs/promises';
import { TaskError } from './task-error';

// Free-space check before a task touches the disk: the image plus headroom for what cleaning
// may add (a qcow2 grows as the guest's blocks are rewritten; at most up to its virtual size).
// Tasks running side by side share the disk, so each one's reservation, less what it has
// already written, counts as taken.

export interface Headroom {
  minBytes: number;
  fraction: number;
}

export function requiredBytes(source: { size: number; virtualSize: number | null }, headroom: Headroom): number {
  const virtual = source.virtualSize ?? source.size;
  return source.size + Math.max(headroom.minBytes, Math.ceil(headroom.fraction * virtual));
}

interface Reservation {
  need: number;
  written: () => number;
}

export type FreeBytes = (dir: string) => Promise<number>;

export const statfsFree: FreeBytes = async (dir) => {
  const st = await statfs(dir);
  return st.bavail * st.bsize;
};

export class SpaceLedger {
  private readonly held = new Map<symbol, Reservation>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly free: FreeBytes = statfsFree,
  ) {}

  /** Reserves `need` bytes or throws `insufficient_space`; call the answer to release. */
  reserve(need: number, written: () => number): Promise<() => void> {
    // one check at a time: two tasks must not both count the same free bytes
    const run = this.queue.then(() => this.check(need, written));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async check(need: number, written: () => number): Promise<() => void> {
    const free = await this.free(this.dir);
    let others = 0;
    for (const r of this.held.values()) others += Math.max(0, r.need - r.written());
    if (free - others < need) {
      const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
      const shared = others > 0 ? ` (${gib(others)} of it promised to running tasks)` : '';
      throw new TaskError('insufficient_space', `scratch directory ${this.dir}: needs ${gib(need)}, ${gib(Math.max(0, free - others))} free${shared}`, false);
    }
    const key = Symbol('reservation');
    this.held.set(key, { need, written });
    return () => {
      this.held.delete(key);
    };
  }
}
