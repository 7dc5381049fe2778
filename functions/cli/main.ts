#!/usr/bin/env node
// `snapflow`: the command line of the snapflow service, an HTTP client of its /v1 API.
// Only commander and the option tables load before the arguments are parsed; each action
// imports what it needs, so `snapflow --help` stays quick (bench/cli-startup.ts).
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { CliError } from './cli-error';
import type { GlobalOptions } from './connection';
import { EXIT } from './exit-codes';
import { positiveInt } from './option-parsers';
import { SUBMIT_KINDS } from './submit-kinds';

const TIMEOUT_MAX_S = 7 * 86_400;
const DEFAULT_TIMEOUT_S = 3600;
const CLOUD_HELP = 'a clouds.yaml entry on the service (default: SNAPFLOW_CLOUD, the config file)';

const HELP_AFTER = `
Connection: --url, SNAPFLOW_URL or the config file's url (default http://127.0.0.1:8080);
the token from --token-file, SNAPFLOW_TOKEN or the config file's token/tokenFile; the
default cloud from --cloud, SNAPFLOW_CLOUD or the config file's cloud. Config file:
~/.config/snapflow/cli.yaml (or --config FILE).

Exit codes: 0 ok / job succeeded, 1 job failed, 2 usage error or not confirmed,
3 job cancelled, 4 timed out waiting, 5 not authenticated or forbidden (401/403),
6 service unreachable, 7 request rejected (400/404/409), 8 service error (5xx).`;

/** --json as parsed, for printing a refusal's envelope */
let jsonOutput = false;

async function client(cmd: Command) {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  jsonOutput = g.json === true;
  const [{ resolveConnection }, { createApiClient }] = await Promise.all([import('./connection'), import('./api-client')]);
  const conn = await resolveConnection(g);
  return { api: createApiClient(conn), json: g.json === true, conn };
}

function cloudOf(given: string | undefined, fallback: string | null): string {
  const cloud = given ?? fallback;
  if (!cloud) throw new CliError(EXIT.usage, 'no cloud: pass --cloud, set SNAPFLOW_CLOUD, or cloud: in the config file');
  return cloud;
}

const timeoutOption = (cmd: Command, what: string) =>
  cmd.option('--timeout <seconds>', `give up ${what} after this long (exit 4)`, positiveInt(TIMEOUT_MAX_S), DEFAULT_TIMEOUT_S);

function buildProgram(): Command {
  const program = new Command('snapflow')
    .description('Snapshots, rollbacks, clones, moves and renames of OpenStack servers, through the snapflow service')
    .version(version)
    .option('--url <url>', 'the snapflow service (default: SNAPFLOW_URL, the config file, http://127.0.0.1:8080)')
    .option('--config <file>', 'config file (default ~/.config/snapflow/cli.yaml)')
    .option('--token-file <file>', 'file holding the API token (default: SNAPFLOW_TOKEN, the config file)')
    .option('--json', "print the service's JSON (one document) instead of text")
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(snapflow --help for usage)')
    .exitOverride()
    .addHelpText('after', HELP_AFTER);

  for (const k of SUBMIT_KINDS) {
    const cmd = program.command(k.kind).description(k.summary).argument('<server>', 'server name or id').option('--cloud <cloud>', CLOUD_HELP);
    k.options(cmd);
    cmd
      .option('--idempotency-key <key>', 'the same key submits once: a repeat returns the first job')
      .option('--dry-run', k.kind === 'prune' || k.kind === 'discard' ? 'say what would be deleted, delete nothing' : 'show the plan of steps, submit nothing')
      .option('--wait', 'wait until the job ends; the exit code says how')
      .option('--watch', 'follow the job live until it ends (implies --wait)');
    if (k.destructive) cmd.option('-y, --yes', 'do not ask for confirmation (required without a terminal)');
    timeoutOption(cmd, 'waiting');
    cmd.action(async (server: string, opts: Record<string, unknown>, self: Command) => {
      const { api, json, conn } = await client(self);
      const { submitJob } = await import('./submit-flow');
      process.exitCode = await submitJob(api, k, server, k.fields(opts), {
        cloud: cloudOf(opts.cloud as string | undefined, conn.cloud),
        ...(typeof opts.idempotencyKey === 'string' ? { idempotencyKey: opts.idempotencyKey } : {}),
        dryRun: opts.dryRun === true,
        wait: opts.wait === true,
        watch: opts.watch === true,
        yes: opts.yes === true,
        timeout: opts.timeout as number,
        json,
      });
    });
  }

  program
    .command('jobs')
    .description('list jobs, newest first')
    .option('--state <state>', 'queued, running, waiting, succeeded, failed or cancelled')
    .option('--kind <kind>', 'job kind')
    .option('--server <server>', 'jobs of this server (with --cloud)')
    .option('--cloud <cloud>', `cloud of --server; ${CLOUD_HELP}`)
    .option('--limit <n>', 'jobs per page', positiveInt(200))
    .option('--all', 'follow the cursor to the last page')
    .action(async (opts, self: Command) => {
      const { api, json, conn } = await client(self);
      const cloud = opts.server !== undefined ? cloudOf(opts.cloud, conn.cloud) : undefined;
      await (await import('./read-commands')).listJobs(api, { ...opts, ...(cloud !== undefined ? { cloud } : {}) }, json);
    });

  program
    .command('show')
    .description('one job: state, step, progress, result, error')
    .argument('<id>', 'job id')
    .action(async (id: string, _o, self: Command) => {
      const { api, json } = await client(self);
      await (await import('./read-commands')).showJob(api, id, json);
    });

  program
    .command('events')
    .description("a job's history: every transition, with the OpenStack request ids")
    .argument('<id>', 'job id')
    .action(async (id: string, _o, self: Command) => {
      const { api, json } = await client(self);
      await (await import('./read-commands')).listEvents(api, id, json);
    });

  timeoutOption(program.command('wait').description('wait until a job ends; the exit code says how').argument('<id>', 'job id'), 'waiting').action(
    async (id: string, opts: { timeout: number }, self: Command) => {
      const { api, json } = await client(self);
      process.exitCode = await (await import('./wait')).waitCommand(api, id, opts.timeout, json);
    },
  );

  timeoutOption(
    program.command('watch').description('follow a job live: its steps, a progress bar for transfers, the time spent waiting').argument('<id>', 'job id'),
    'watching',
  ).action(async (id: string, opts: { timeout: number }, self: Command) => {
    const { api, json } = await client(self);
    process.exitCode = await (await import('./watch')).watchJob(api, id, opts.timeout, json);
  });

  program
    .command('cancel')
    .description('cancel a job: it stops before its next step and undoes what was half-made')
    .argument('<id>', 'job id')
    .action(async (id: string, _o, self: Command) => {
      const { api, json } = await client(self);
      await (await import('./read-commands')).cancelJob(api, id, json);
    });

  program
    .command('snapshots')
    .description("snapflow's images of a server (or of a cloud), with policy and age")
    .argument('[server]', 'server name')
    .option('--cloud <cloud>', CLOUD_HELP)
    .action(async (server: string | undefined, opts: { cloud?: string }, self: Command) => {
      const { api, json, conn } = await client(self);
      await (await import('./read-commands')).listSnapshots(api, cloudOf(opts.cloud, conn.cloud), server, json);
    });

  const schedules = program
    .command('schedules')
    .description('the declared schedules and their next run')
    .action(async (_o, self: Command) => {
      const { api, json } = await client(self);
      await (await import('./read-commands')).listSchedules(api, json);
    });
  schedules
    .command('run')
    .description('run a schedule now (admin scope)')
    .argument('<name>', 'schedule name')
    .action(async (name: string, _o, self: Command) => {
      const { api, json } = await client(self);
      await (await import('./read-commands')).runSchedule(api, name, json);
    });

  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message (or the help) already
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof CliError) {
      if (err.body !== undefined && jsonOutput) process.stdout.write(`${JSON.stringify(err.body, null, 2)}\n`);
      process.stderr.write(`snapflow: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`snapflow: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.serviceError;
  }
}

await main();
