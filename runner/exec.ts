import { spawn } from 'node:child_process';

// Runs one tool: an argv array (never a shell), a clean environment, a deadline, and an
// AbortSignal. The child gets its own process group so that a timeout or an abort reaches
// whatever it started (qemu under libguestfs): SIGTERM to the group, SIGKILL after a grace
// period. The promise settles only once the child has exited, so the caller may delete the
// files it was using right after.

export interface ExecOptions {
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Written to stdin, which is then closed (guestfish scripts). */
  input?: string;
  /** Output kept per stream: the last bytes (error messages come last). */
  keepBytes?: number;
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
}

export interface ExecResult {
  /** null when the child was killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export class ToolMissingError extends Error {
  override name = 'ToolMissingError';
}

export function execTool(command: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const keep = opts.keepBytes ?? 64 * 1024;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const child = spawn(command, args, {
      env: opts.env,
      detached: true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out = new Tail(keep);
    const err = new Tail(keep);
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => undefined); // a child that exits early closes its stdin
      child.stdin?.end(opts.input);
    }
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (killTimer || child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), opts.graceMs ?? 10_000);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => kill();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e.code === 'ENOENT' ? new ToolMissingError(`${command} not found (install it or set tools in the runner config)`) : e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      // anything the tool left running in its group goes with it
      if (timedOut || opts.signal?.aborted) signalGroup(child.pid, 'SIGKILL');
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted && !timedOut) return reject(opts.signal.reason);
      resolve({ code, signal, stdout: out.text(), stderr: err.text(), timedOut, durationMs: Date.now() - started });
    });
  });
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is already gone
  }
}

/** Keeps the last `limit` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(c: Buffer): void {
    this.chunks.push(c);
    this.size += c.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/**
 * The environment of the tools: only what they need, never the runner's token or cloud
 * credentials. C locale, so that the messages the runner matches are the English ones.
 */
export function toolEnv(
  lg: { backend: string; backendSettings: readonly string[]; cacheDir: string | undefined },
  tmpDir: string,
  parent: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: parent.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: parent.HOME ?? '/',
    LC_ALL: 'C',
    LANG: 'C',
    // the appliance's overlays go with the task's scratch files...
    TMPDIR: tmpDir,
    // ...but its cache (hundreds of MB, built once) must not, or every task rebuilds it
    LIBGUESTFS_CACHEDIR: lg.cacheDir ?? parent.LIBGUESTFS_CACHEDIR ?? '/var/tmp',
    LIBGUESTFS_BACKEND: lg.backend,
  };
  if (lg.backendSettings.length) env.LIBGUESTFS_BACKEND_SETTINGS = lg.backendSettings.join(':');
  for (const k of ['XDG_RUNTIME_DIR', 'SUPERMIN_KERNEL', 'SUPERMIN_MODULES', 'SUPERMIN_KERNEL_VERSION', 'LIBGUESTFS_PATH', 'LIBGUESTFS_HV']) {
    const v = parent[k];
    if (v) env[k] = v;
  }
  return env;
}
