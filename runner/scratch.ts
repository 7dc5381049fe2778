import { mkdir, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

// The scratch directory: one subdirectory per task (`task-<id>-<attempt>`), removed on every
// path out of the task. A runner killed outright (kill -9, power loss) leaves its task
// directories behind; the next start removes them. A pid file keeps two runners from sharing
// one scratch directory, since each would take the other's task directories for stale ones.

const LOCK = 'runner.pid';
const TASK_PREFIX = 'task-';

export class ScratchInUseError extends Error {
  override name = 'ScratchInUseError';
}

export class Scratch {
  private constructor(readonly root: string) {}

  /** Takes the directory (creating it 0700) and removes what a crashed earlier run left. */
  static async open(root: string, pid = process.pid): Promise<{ scratch: Scratch; removedStale: string[] }> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    await takeLock(join(root, LOCK), pid);
    const removedStale: string[] = [];
    for (const name of await readdir(root)) {
      if (!name.startsWith(TASK_PREFIX)) continue;
      await rm(join(root, name), { recursive: true, force: true });
      removedStale.push(name);
    }
    return { scratch: new Scratch(root), removedStale };
  }

  /** A fresh, empty directory for one task attempt, with a tmp/ for the tools' own files. */
  async taskDir(taskId: string, attempt: number): Promise<string> {
    const dir = join(this.root, `${TASK_PREFIX}${taskId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}-${attempt}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
    return dir;
  }

  async remove(dir: string): Promise<void> {
    // a tool killed a moment ago may still be removing its own files in there
    await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  }

  /** Names of the task directories present (for tests and the stop log line). */
  async taskDirs(): Promise<string[]> {
    return (await readdir(this.root)).filter((n) => n.startsWith(TASK_PREFIX));
  }

  async close(): Promise<void> {
    await unlink(join(this.root, LOCK)).catch(() => undefined);
  }
}

async function takeLock(path: string, pid: number): Promise<void> {
  for (let i = 0; i < 2; i++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${pid}\n`);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const other = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(other) && other > 0 && other !== pid && alive(other)) {
      throw new ScratchInUseError(`${path}: another runner (pid ${other}) uses this scratch directory`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new ScratchInUseError(`${path}: could not take the scratch directory`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
