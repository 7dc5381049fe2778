// Runs the real `snapflow` binary: bundled by scripts/build-bins.mjs (into a directory of
// the test file's own, so parallel test files never read a half-written bundle) and
// started as a child process with a clean environment, piped or in a pseudo-terminal
// (util-linux `script`), always under a deadline.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BuiltCli {
  bin: string;
  /** a HOME with no config file in it */
  home: string;
  close(): void;
}

export async function buildCli(): Promise<BuiltCli> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-cli-bin-'));
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-bins.mjs'), '--outdir', join(dir, 'dist'), 'snapflow'], { cwd: ROOT });
  return { bin: join(dir, 'dist', 'snapflow.mjs'), home: join(dir, 'home'), close: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunOptions {
  env?: Record<string, string>;
  /** run in a pseudo-terminal (stdin, stdout and stderr are a tty) */
  tty?: boolean;
  /** written to stdin once started */
  input?: string;
  timeoutMs?: number;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves once stdout contains `text` (deadline: timeoutMs) */
  until(text: string | RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<Result>;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user with nothing configured, plus `env`. */
function cleanEnv(cli: BuiltCli, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('SNAPFLOW_') && !k.startsWith('OS_') && k !== 'XDG_CONFIG_HOME') out[k] = v;
  return { ...out, HOME: cli.home, ...env };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function startCli(cli: BuiltCli, args: string[], opts: RunOptions = {}): Running {
  const env = cleanEnv(cli, opts.env ?? {});
  const argv = [process.execPath, cli.bin, ...args];
  const child = opts.tty
    ? spawn('script', ['-qfec', argv.map(shellQuote).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  if (opts.input !== undefined) child.stdin!.write(opts.input);
  // a pty session ends when its stdin does: keep it open until the command exits
  if (!opts.tty) child.stdin!.end();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const done = new Promise<Result>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`snapflow ${args.join(' ')}: still running after ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      child.stdin!.destroy();
      resolve({ code, stdout: out, stderr: err });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    async until(text, ms = 20_000) {
      const deadline = Date.now() + ms;
      const hit = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      while (!hit()) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`snapflow ${args.join(' ')}: no ${String(text)} in stdout\nstdout: ${out}\nstderr: ${err}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return out;
    },
  };
}

export function runCli(cli: BuiltCli, args: string[], opts: RunOptions = {}): Promise<Result> {
  return startCli(cli, args, opts).done;
}
