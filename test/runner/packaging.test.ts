import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRunnerConfig } from '../../runner/config';

// What an operator copies from runner/README.md must work: the configuration example is a
// valid configuration with every key, and the systemd unit starts the launcher the package's
// bin names, with --liftoff-only, SIGTERM and the token from an environment file.

const readme = readFileSync(new URL('../../runner/README.md', import.meta.url), 'utf8');
const unit = readFileSync(new URL('../../runner/snapflow-runner.service', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin?: Record<string, string> };

describe('runner packaging', () => {
  it('documents a configuration that validates, with every setting', () => {
    const block = /```yaml\n([\s\S]*?)\n\s*```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const doc = parse(block!.replace(/^ {3}/gm, '')) as Record<string, unknown>;
    const config = buildRunnerConfig(doc, { SNAPFLOW_RUNNER_TOKEN: 'x'.repeat(32) });
    expect(config).toMatchObject({ serviceUrl: 'https://snapflow.example.org', concurrency: 1, headroom: { minBytes: 2 * 1024 ** 3 } });
    const keys = [
      'serviceUrl',
      'runnerId',
      'scratchDir',
      'cloudsFile',
      'concurrency',
      'claimWaitSeconds',
      'libguestfs',
      'timeouts',
      'extraDeletePaths',
      'headroom',
      'download',
      'logLevel',
    ];
    expect(Object.keys(doc).sort()).toEqual(keys.sort());
  });

  it('ships a systemd unit that starts the bin with --liftoff-only and releases on SIGTERM', () => {
    expect(pkg.bin?.['snapflow-runner']).toBe('runner/bin/snapflow-runner.mjs');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node --liftoff-only \/opt\/snapflow\/runner\/bin\/snapflow-runner\.mjs --config \S+$/m);
    expect(unit).toMatch(/^User=snapflow-runner$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/snapflow-runner\/runner\.env$/m);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1])).toBeGreaterThanOrEqual(60);
  });
});
