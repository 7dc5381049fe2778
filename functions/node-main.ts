// `npm start`: snapflow on Node with the embedded SQLite job table (or PostgreSQL when
// SNAPFLOW_DB=postgres://…). Clouds come from clouds.yaml / OS_* variables; with none
// configured it starts the built-in OpenStack simulator and says so loudly, so the
// README's curl session works at once. A configured but unreachable cloud is never
// replaced by the simulator: it is reported as an error at start and in /healthz.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { schedule as cronSchedule } from 'node-cron';
import { schedules as declaredSchedules } from '../schedules/schedules';
import { sha256Hex } from '../shared/auth/hash';
import { ConfigError, type Config } from '../shared/config/load';
import { loadConfigNode } from '../shared/config/load-node';
import { createJobStore } from '../shared/jobs/create-job-store';
import { openPostgresJobDb } from '../shared/jobs/open-postgres-node';
import { openSqliteJobDb } from '../shared/jobs/open-sqlite-node';
import { lockSqliteInstance, SqliteInstanceLockedError, type SqliteInstanceLock } from '../shared/jobs/sqlite-instance-lock-node';
import { createUndiciTransport } from '../shared/node/undici-transport';
import { findConfigFile, listCloudNames, loadCloudConfig } from '../shared/openstack/clouds-node';
import type { CloudConfig } from '../shared/openstack/cloud-config';
import { ScheduleConfigError } from '../shared/schedule/load';
import { loadSchedulesNode } from '../shared/schedule/load-node';
import { composeService } from './compose';
import { createNodeLogger } from './node-logger';

const log = createNodeLogger();

function fatal(message: string): never {
  log.error(message);
  process.exit(1);
}

function openStore(url: string) {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return createJobStore(openPostgresJobDb(url));
  if (!url.startsWith('sqlite:')) fatal(`SNAPFLOW_DB / database.url: unsupported URL scheme (use sqlite:<path> or postgres://…)`);
  const path = resolve(url.slice('sqlite:'.length));
  mkdirSync(dirname(path), { recursive: true });
  return createJobStore(openSqliteJobDb(path));
}

/** One service per SQLite job table (see lockSqliteInstance); a second one stops here. */
function lockInstance(url: string): SqliteInstanceLock {
  try {
    return lockSqliteInstance(resolve(url.slice('sqlite:'.length)), 'SNAPFLOW_DB / database.url');
  } catch (err) {
    if (err instanceof SqliteInstanceLockedError) fatal(err.message);
    throw err;
  }
}

/** With no API token configured, make one admin token and leave it in a 0600 file (never in logs). */
async function ensureToken(config: Config, dataDir: string): Promise<string | null> {
  if (config.tokens.length > 0) return null;
  const file = join(dataDir, 'admin-token');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const token = readFileSync(file, 'utf8').trim();
  config.tokens.push({ name: 'local-admin', sha256: await sha256Hex(token), scopes: ['admin'], targets: ['**'] });
  return file;
}

interface Clouds {
  mode: 'simulator' | 'cloud';
  names: string[];
  get(name: string): CloudConfig | undefined;
  close(): Promise<void>;
}

async function resolveClouds(dataDir: string): Promise<Clouds> {
  const configured = findConfigFile('clouds') !== undefined || process.env.OS_AUTH_URL !== undefined;
  let env: Record<string, string | undefined> = process.env;
  let close = async () => {};
  let mode: Clouds['mode'] = 'cloud';
  if (!configured) {
    // Imported lazily: a deployment with clouds never loads the simulator.
    const { startSimulator } = await import('../test/sim/server');
    const sim = await startSimulator({ port: Number(process.env.SNAPFLOW_SIM_PORT ?? 0) });
    sim.state.addServer({ name: 'demo-web', metadata: { 'snapflow:schedule': 'nightly' } });
    const file = join(dataDir, 'simulator-clouds.yaml');
    writeFileSync(file, sim.cloudsYaml(), { mode: 0o600 });
    env = { ...process.env, OS_CLIENT_CONFIG_FILE: file };
    close = () => sim.close();
    mode = 'simulator';
    log.warn(
      `NO CLOUD CONFIGURED (no clouds.yaml, no OS_AUTH_URL): running against the BUILT-IN OPENSTACK SIMULATOR at ${sim.url}. ` +
        `Nothing real is touched. Clouds: sim, sim-dest; a demo server "demo-web" exists. Set OS_CLIENT_CONFIG_FILE to use a real cloud.`,
    );
  }
  const names = process.env.OS_AUTH_URL && !findConfigFile('clouds', { env }) ? ['envvars'] : listCloudNames({ env });
  const cache = new Map<string, CloudConfig>();
  return {
    mode,
    names,
    close,
    get(name) {
      if (!cache.has(name)) {
        try {
          cache.set(name, loadCloudConfig(name, { env }));
        } catch {
          return undefined;
        }
      }
      return cache.get(name);
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = await loadConfigNode();
  } catch (err) {
    if (err instanceof ConfigError) fatal(`invalid configuration:\n${err.message}`);
    throw err;
  }
  // Next to this file, not the cwd: a service started from elsewhere must not silently lose
  // the repo's schedules/*.yaml.
  const schedulesDir = resolve(process.env.SNAPFLOW_SCHEDULES_DIR ?? fileURLToPath(new URL('../schedules', import.meta.url)));
  let schedules;
  try {
    schedules = loadSchedulesNode(declaredSchedules, schedulesDir, { notificationNames: config.notifications.map((n) => n.name) });
  } catch (err) {
    if (err instanceof ScheduleConfigError) fatal(`invalid schedules:\n${err.message}`);
    throw err;
  }
  const dataDir = resolve(process.env.SNAPFLOW_DATA_DIR ?? 'var');
  mkdirSync(dataDir, { recursive: true });
  const tokenFile = await ensureToken(config, dataDir);
  const clouds = await resolveClouds(dataDir);
  const store = openStore(config.database.url);
  const instanceLock = store.dialect === 'sqlite' ? lockInstance(config.database.url) : null;
  await store.migrate();
  const transport = createUndiciTransport();

  const service = composeService({
    config,
    store,
    clouds: (n) => clouds.get(n),
    cloudNames: clouds.names,
    transport,
    schedules,
    mode: clouds.mode,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    log,
  });

  // Holding the instance lock, this service knows the leases it finds are its dead
  // predecessor's: their jobs resume now, not when the leases run out.
  if (instanceLock) {
    const n = await service.engine.recoverLeases(`taken back at start by pid ${process.pid}: no other service runs on this job table`);
    if (n > 0) log.info(`took back the leases of ${n} job(s) a previous run left running; they resume now`);
  }

  const server = serve({ fetch: service.app.fetch, hostname: config.listen.host, port: config.listen.port });
  const base = `http://${config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host}:${config.listen.port}`;
  log.info(`snapflow listening on ${base} (job table: ${store.dialect}, mode: ${clouds.mode}, clouds: ${clouds.names.join(', ') || 'none'})`);
  log.info(`schedules from ${schedulesDir}: ${schedules.map((s) => `${s.name}${s.enabled ? '' : ' (disabled)'}`).join(', ') || 'none'}`);
  if (tokenFile) log.info(`no API token configured: an admin token was written to ${tokenFile} (export SNAPFLOW_TOKEN=$(cat ${tokenFile}))`);

  // Report unreachable clouds at once, loudly; the service still starts (schedules for
  // other clouds keep working) and /healthz says "degraded" until the cloud answers.
  void service.health().then((h) => {
    for (const c of h.clouds) if (!c.ok) log.error(`cloud "${c.name}" is configured but unreachable: ${c.message}`);
  });

  // Schedules: a missed slot within the grace window runs once now; then node-cron ticks
  // every minute and fires the slots that fell due since the last tick (our own cron
  // library decides, so timezones and DST behave the same on Node and Workers).
  let lastTick = new Date();
  void service.schedules.fireMissed(lastTick, config.schedules.graceMs);
  const cronTask = cronSchedule('* * * * *', async () => {
    const now = new Date();
    const since = lastTick;
    lastTick = now;
    await service.schedules.fireDue(since, now);
  });
  // Safety net: waits due later than the in-process wake-up window, and expired leases of
  // crashed instances sharing the job table.
  const safety = setInterval(() => void service.engine.tick().catch((err) => log.error('tick failed', { error: String(err) })), 5_000);
  void service.engine.tick();

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

main().catch((err) => fatal(`start-up failed: ${err instanceof Error ? err.message : String(err)}`));
