// `npm start`: snapflow on Node with the embedded SQLite job table (or PostgreSQL when
// SNAPFLOW_DB=postgres://…). Clouds come from clouds.yaml / OS_* variables; with none
// configured it starts the built-in OpenStack simulator and says so loudly, so the
// README's curl session works at once. A configured but unreachable cloud is never
// replaced by the simulator: it is reported as an error at start and in /healthz.
// A start-up problem is one log line naming the setting and the path, then a non-zero
// exit (node-startup-error.ts); "listening" is logged once the port is bound.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { schedule as cronSchedule } from 'node-cron';
import { type Config, ConfigError } from '../shared/config/load';
import { loadConfigNode } from '../shared/config/load-node';
import { checkWebhookClouds } from '../shared/config/webhook-clouds';
import { createUndiciTransport } from '../shared/node/undici-transport';
import { composeService } from './compose';
import { resolveClouds } from './node-clouds';
import { ensureAdminToken, prepareDataDir } from './node-data-dir';
import { listen } from './node-listen';
import { createNodeLogger } from './node-logger';
import { loadNodeSchedules, schedulesDir } from './node-schedules';
import { exitForStartupError, installProcessGuards, StartupError } from './node-startup-error';
import { openJobStore } from './node-store';

const log = createNodeLogger();
const warn = (line: string) => log.warn(line);
const failed = (what: string) => (err: unknown) => log.error(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);

async function loadConfig(): Promise<Config> {
  try {
    return await loadConfigNode();
  } catch (err) {
    if (err instanceof ConfigError) throw new StartupError(`invalid configuration: ${err.problems.join('; ')}`);
    throw err;
  }
}

/**
 * SNAPFLOW_TIME_SCALE (benchmarks against the simulator only): multiplies every step's retry
 * and poll delays, so a simulator whose latencies are scaled by the same factor runs the
 * same schedule of calls in less time (bench/nightly.ts). Unset in any real deployment.
 */
function timeScaleFromEnv(): number | undefined {
  const raw = process.env.SNAPFLOW_TIME_SCALE;
  if (raw === undefined || raw === '') return undefined;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) throw new StartupError('SNAPFLOW_TIME_SCALE: must be a number greater than 0 and at most 1');
  return scale;
}

async function main(): Promise<void> {
  // settings and paths first: a mistake there stops the start before anything runs
  const timeScale = timeScaleFromEnv();
  const config = await loadConfig();
  const dataDir = prepareDataDir(process.env, warn);
  const tokenFile = await ensureAdminToken(config, dataDir, warn);
  const scheduleDir = schedulesDir(process.env);
  const { store, instanceLock } = await openJobStore(config, process.env, warn);
  const clouds = await resolveClouds(dataDir, log);
  const schedules = loadNodeSchedules(config, clouds, scheduleDir, log);
  const hookClouds = checkWebhookClouds(config.webhooks, clouds);
  if (hookClouds.problems.length > 0) throw new StartupError(`invalid configuration: ${hookClouds.problems.join('; ')}`);
  for (const w of hookClouds.warnings) log.warn(w);
  const transport = createUndiciTransport();

  const service = composeService({
    config,
    store,
    clouds: clouds.get,
    cloudNames: clouds.names,
    cloudProblem: clouds.problem,
    transport,
    schedules,
    mode: clouds.mode,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    log,
    ...(timeScale !== undefined ? { timeScale } : {}),
  });
  if (timeScale !== undefined) log.warn(`SNAPFLOW_TIME_SCALE=${timeScale}: step retry and poll delays are scaled (benchmarks only)`);

  // Holding the instance lock, this service knows the leases it finds are its dead
  // predecessor's: their jobs resume now, not when the leases run out. The sysprep runners'
  // task leases stay as they are: they belong to runner processes on other hosts, which
  // outlive a restart of the service and go on working (their heartbeats are accepted again
  // once it is back); a runner cut off for a whole lease stops on its own, and the task is
  // claimed again when its lease has run out.
  if (instanceLock) {
    const n = await service.engine.recoverLeases(`taken back at start by pid ${process.pid}: no other service runs on this job table`);
    if (n > 0) log.info(`took back the leases of ${n} job(s) a previous run left running; they resume now`);
  }

  const { server, port } = await listen(service.app.fetch, config.listen.host, config.listen.port);
  const base = `http://${config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host}:${port}`;
  log.info(`snapflow listening on ${base} (job table: ${store.dialect}, mode: ${clouds.mode}, clouds: ${clouds.names.join(', ') || 'none'})`);
  log.info(`schedules from ${scheduleDir}: ${schedules.map((s) => `${s.name}${s.enabled ? '' : ' (disabled)'}`).join(', ') || 'none'}`);
  if (tokenFile) log.info(`no API token configured: an admin token was written to ${tokenFile} (export SNAPFLOW_TOKEN=$(cat ${tokenFile}))`);

  // Report unreachable clouds at once, loudly; the service still starts (schedules for
  // other clouds keep working) and /healthz says "degraded" until the cloud answers.
  // Unusable ones were reported when loaded.
  service
    .health()
    .then((h) => {
      for (const c of h.clouds) if (!c.ok && !clouds.problem(c.name)) log.error(`cloud "${c.name}" is configured but unreachable: ${c.message}`);
    })
    .catch(failed('start-up health check'));

  // Schedules: a missed slot within the grace window runs once now; then node-cron ticks
  // every minute and fires the slots that fell due since the last tick (our own cron
  // library decides, so timezones and DST behave the same on Node and Workers), and catches
  // up on a recent slot no instance finished (its firer died; the slot records say so).
  let lastTick = new Date();
  service.schedules.fireMissed(lastTick, config.schedules.graceMs).catch(failed('firing missed schedule slots'));
  const cronTask = cronSchedule('* * * * *', async () => {
    const now = new Date();
    const since = lastTick;
    lastTick = now;
    await service.schedules.fireDue(since, now).catch(failed('firing schedules'));
    await service.schedules.fireMissed(now, config.schedules.graceMs).catch(failed('firing missed schedule slots'));
  });
  // Safety net: waits due later than the in-process wake-up window, and expired leases of
  // crashed instances sharing the job table.
  const safety = setInterval(() => void service.engine.tick().catch(failed('tick')), 5_000);
  service.engine.tick().catch(failed('tick'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping (running steps finish or release their lease)`);
    await cronTask.stop();
    clearInterval(safety);
    server.close();
    await service.engine.close(10_000).catch(() => {});
    await service.notifications.settle(5_000).catch(() => {});
    await store.close().catch(() => {});
    instanceLock?.release();
    await transport.close?.();
    await clouds.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

installProcessGuards(log);
main().catch((err: unknown) => exitForStartupError(log, err));
