import { describe, expect, it } from 'vitest';
import { buildRunnerConfig, parseByteSize, redactRunnerConfig } from '../../runner/config';
import { ConfigError } from '../../shared/config/load';

// The runner's configuration: file + environment (which wins), defaults, and errors that
// name the field without ever repeating a value (the token least of all).

const TOKEN = 'sf-runner-secret-token-value';
const base = { serviceUrl: 'https://snapflow.example.org/', scratchDir: '/var/lib/snapflow-runner/scratch' };

function problems(file: unknown, env: Record<string, string> = { SNAPFLOW_RUNNER_TOKEN: TOKEN }): string[] {
  try {
    buildRunnerConfig(file, env, 'runner.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('runner configuration', () => {
  it('fills the defaults around the required settings', () => {
    const c = buildRunnerConfig(base, { SNAPFLOW_RUNNER_TOKEN: TOKEN });
    expect(c).toMatchObject({
      serviceUrl: 'https://snapflow.example.org',
      token: TOKEN,
      scratchDir: '/var/lib/snapflow-runner/scratch',
      concurrency: 1,
      claimWaitSeconds: 30,
      libguestfs: { backend: 'direct', backendSettings: [] },
      timeouts: { sysprepMs: 1_800_000, verifyMs: 600_000, qemuImgMs: 600_000 },
      extraDeletePaths: [],
      headroom: { minBytes: 1024 ** 3, fraction: 0.1 },
      download: { resumeAttempts: 5, resumeDelayMs: 2000 },
      tools: { qemuImg: 'qemu-img', virtSysprep: 'virt-sysprep', guestfish: 'guestfish' },
    });
    expect(c.runnerId.length).toBeGreaterThan(0);
  });

  it('takes the environment over the file', () => {
    const c = buildRunnerConfig(
      { ...base, concurrency: 2, libguestfs: { backend: 'libvirt', backendSettings: ['a'] }, timeouts: { sysprep: '45m' }, headroom: { minBytes: '512MiB' } },
      {
        SNAPFLOW_RUNNER_TOKEN: TOKEN,
        SNAPFLOW_RUNNER_URL: 'http://127.0.0.1:8080',
        SNAPFLOW_RUNNER_CONCURRENCY: '3',
        SNAPFLOW_RUNNER_ID: 'lxplus8-runner-1',
        LIBGUESTFS_BACKEND: 'direct',
        LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg:gdb',
      },
    );
    expect(c).toMatchObject({
      serviceUrl: 'http://127.0.0.1:8080',
      concurrency: 3,
      runnerId: 'lxplus8-runner-1',
      libguestfs: { backend: 'direct', backendSettings: ['force_tcg', 'gdb'] },
      timeouts: { sysprepMs: 45 * 60_000 },
      headroom: { minBytes: 512 * 1024 ** 2, fraction: 0.1 },
    });
  });

  it('names every bad field, and never repeats a value', () => {
    const got = problems(
      { ...base, serviceUrl: 'ftp://x', concurrency: 0, extraDeletePaths: ['relative/path', '/a/../b'], headroom: { minBytes: 'lots' }, tokn: 1 },
      {},
    );
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^runner\.yaml: serviceUrl: /),
        expect.stringMatching(/^runner\.yaml: concurrency: /),
        expect.stringMatching(/^runner\.yaml: extraDeletePaths\.0: must be an absolute path/),
        expect.stringMatching(/^runner\.yaml: extraDeletePaths\.1: must not contain "\.\."/),
        expect.stringMatching(/^runner\.yaml: headroom\.minBytes: invalid size/),
        expect.stringMatching(/^runner\.yaml: .*tokn/),
        'environment: SNAPFLOW_RUNNER_TOKEN is not set (a snapflow token with scope runner)',
      ]),
    );
  });

  it('refuses a token in the file without quoting it', () => {
    const got = problems({ ...base, token: TOKEN });
    expect(got).toEqual(['runner.yaml: token: the token is never read from the file; set SNAPFLOW_RUNNER_TOKEN']);
    expect(got.join('\n')).not.toContain(TOKEN);
  });

  it('needs the service URL and the scratch directory from somewhere', () => {
    expect(problems({})).toEqual([
      'runner.yaml: serviceUrl: required (or SNAPFLOW_RUNNER_URL)',
      'runner.yaml: scratchDir: required (or SNAPFLOW_RUNNER_SCRATCH_DIR)',
    ]);
    expect(problems({ ...base, libguestfs: { backendSettings: ['force_tcg:x'] } })).toEqual([
      'runner.yaml: libguestfs.backendSettings.0: must be a setting such as force_tcg (no ":")',
    ]);
  });

  it('redacts the token for the logs', () => {
    const c = buildRunnerConfig(base, { SNAPFLOW_RUNNER_TOKEN: TOKEN });
    expect(JSON.stringify(redactRunnerConfig(c))).not.toContain(TOKEN);
  });

  it('reads byte sizes', () => {
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('10G')).toBe(10e9);
    expect(parseByteSize('1.5 MiB')).toBe(1.5 * 1024 ** 2);
    expect(parseByteSize('4096')).toBe(4096);
    expect(parseByteSize('ten')).toBeNull();
    expect(parseByteSize('5 parsecs')).toBeNull();
  });
});
