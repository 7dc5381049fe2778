import { Command } from 'commander';
import { ConfigError } from '../shared/config/load';
import { readConfigFile } from '../shared/config/load-node';
import { CloudClients } from './clouds';
import { buildRunnerConfig, type RunnerConfig, redactRunnerConfig } from './config';
import { createRunnerLogger } from './logger';
import { PollLoop } from './poll-loop';
import { Scratch, ScratchInUseError } from './scratch';
import { RunnerServiceClient } from './service-client';
import { SpaceLedger } from './space';

// `snapflow-runner`: loads the configuration, takes the scratch directory (removing what a
// crashed run left), and polls the service until SIGTERM/SIGINT. On the first signal every
// running task stops, cleans up and releases its lease (`fail` runner_stopping); a second
// signal exits at once.

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = new Command('snapflow-runner')
    .description('polls the snapflow service for image-cleaning tasks (download, qemu-img, virt-sysprep, upload)')
    .option('-c, --config <file>', 'YAML/JSON configuration file (default: $SNAPFLOW_RUNNER_CONFIG)')
    .option('--print-config', 'print the effective configuration (token redacted) and exit')
    .exitOverride();
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 2;
  }
  const opts = program.opts<{ config?: string; printConfig?: boolean }>();

  let config: RunnerConfig;
  try {
    const path = opts.config ?? env.SNAPFLOW_RUNNER_CONFIG;
    config = buildRunnerConfig(path ? readConfigFile(path) : undefined, env, path ?? 'environment');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`snapflow-runner: invalid configuration\n${err.problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  if (opts.printConfig) {
    process.stdout.write(`${JSON.stringify(redactRunnerConfig(config), null, 2)}\n`);
    return 0;
  }

  const log = createRunnerLogger(config.logLevel, { runner: config.runnerId });
  let scratch: Scratch;
  try {
    const opened = await Scratch.open(config.scratchDir);
    scratch = opened.scratch;
    if (opened.removedStale.length) log.warn('removed task directories a crashed run left behind', { removed: opened.removedStale });
  } catch (err) {
    // in use by another runner, or not writable by this user
    log.error(err instanceof ScratchInUseError ? err.message : `cannot use the scratch directory ${config.scratchDir}: ${String(err)}`);
    return 1;
  }
  const service = new RunnerServiceClient({ url: config.serviceUrl, token: config.token });
  const clouds = new CloudClients(config.cloudsFile, env);
  const loop = new PollLoop(config, { config, clouds, service, scratch, space: new SpaceLedger(config.scratchDir), log });

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.error('second signal: exiting without waiting for the tasks', { signal: sig });
      process.exit(1);
    }
    log.info('stopping: releasing running tasks', { signal: sig });
    void loop.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  log.info('runner started', { config: redactRunnerConfig(config) });
  loop.start();
  await loop.done();
  await Promise.allSettled([service.close(), clouds.close(), scratch.close()]);
  log.info('runner stopped');
  return 0;
}
