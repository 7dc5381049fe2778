import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { execTool, ToolMissingError, toolEnv } from '../../runner/exec';

// How the runner runs its tools: argv without a shell, a clean environment, and a deadline or
// an abort that takes down everything the tool started (its process group), by SIGKILL when
// SIGTERM is ignored.

const env = toolEnv({ backend: 'direct', backendSettings: ['force_tcg'], cacheDir: undefined }, '/tmp', {
  PATH: process.env.PATH,
  HOME: '/root',
  SNAPFLOW_RUNNER_TOKEN: 'secret-token',
  OS_PASSWORD: 'cloud-password',
});

/** Exited (a zombie nobody reaped yet counts: it runs nothing). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

describe('execTool', () => {
  it('passes argv as is, never through a shell, with only the environment the tools need', async () => {
    const r = await execTool(process.execPath, ['-e', 'console.log(JSON.stringify({ a: process.argv.slice(1), e: process.env }))', '$(reboot)', 'a b;c'], {
      env,
      timeoutMs: 10_000,
    });
    const out = JSON.parse(r.stdout) as { a: string[]; e: Record<string, string> };
    expect(out.a).toEqual(['$(reboot)', 'a b;c']);
    expect(Object.keys(out.e).sort()).toEqual([
      'HOME',
      'LANG',
      'LC_ALL',
      'LIBGUESTFS_BACKEND',
      'LIBGUESTFS_BACKEND_SETTINGS',
      'LIBGUESTFS_CACHEDIR',
      'PATH',
      'TMPDIR',
    ]);
    expect(out.e).toMatchObject({
      LC_ALL: 'C',
      LIBGUESTFS_BACKEND: 'direct',
      LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg',
      LIBGUESTFS_CACHEDIR: '/var/tmp',
      TMPDIR: '/tmp',
    });
    expect(r).toMatchObject({ code: 0, timedOut: false });
  });

  it('kills the whole process group at the deadline', async () => {
    const r = await execTool('sh', ['-c', 'sleep 30 & echo $!; wait'], { env, timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    const grandchild = Number(r.stdout.trim());
    await until(() => gone(grandchild));
  });

  it('uses SIGKILL when the tool ignores SIGTERM', async () => {
    const r = await execTool('sh', ['-c', 'trap "" TERM; echo ready; sleep 30; sleep 30'], { env, timeoutMs: 300, graceMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });

  it('rejects with the abort reason once the tool is gone', async () => {
    const ctl = new AbortController();
    const run = execTool('sh', ['-c', 'echo $$; sleep 30'], { env, timeoutMs: 60_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('stopped by test')), 200);
    await expect(run).rejects.toThrow('stopped by test');
  });

  it('names a tool that is not installed', async () => {
    await expect(execTool('no-such-tool-snapflow', [], { env, timeoutMs: 1000 })).rejects.toBeInstanceOf(ToolMissingError);
  });

  it('keeps the tail of long output', async () => {
    const r = await execTool(process.execPath, ['-e', 'process.stderr.write("x".repeat(100000) + "LAST")'], { env, timeoutMs: 10_000, keepBytes: 1000 });
    expect(r.stderr.length).toBe(1000);
    expect(r.stderr.endsWith('LAST')).toBe(true);
  });
});
