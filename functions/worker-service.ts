// Builds snapflow for one Workers isolate from its bindings: config (configFromEnv),
// declared schedules, clouds (SNAPFLOW_CLOUDS), the D1 job table (migrated once per
// isolate), the job queue (SNAPFLOW_JOBS) and the global fetch. Nothing here may import
// Node built-ins.
import { schedules as declaredSchedules } from '../schedules/schedules';
import { type Config, ConfigError, configFromEnv } from '../shared/config/load';
import { checkWebhookClouds } from '../shared/config/webhook-clouds';
import type { StepLogger } from '../shared/engine/define';
import type { JobQueue } from '../shared/engine/job-queue';
import { createJobStore, type SnapflowJobStore } from '../shared/jobs/create-job-store';
import type { D1Like } from '../shared/jobs/job-db';
import { openD1JobDb } from '../shared/jobs/open-d1';
import { globalFetchTransport } from '../shared/openstack/client';
import { ScheduleConfigError, validateSchedules } from '../shared/schedule/load';
import type { Schedule } from '../shared/schedule/schema';
import { composeService, type Service, type ServiceInput } from './compose';
import { CLOUDS_BINDING, parseWorkerClouds } from './worker-clouds';
import { createQueueSender, JOBS_QUEUE_BINDING } from './worker-job-queue';
import type { WaitUntil, WorkerEnv, WorkerQueue } from './worker-types';

/** A deterministic configuration problem: every event of this isolate would hit it again. */
export class WorkerConfigError extends Error {
  override name = 'WorkerConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface WorkerService {
  service: Service;
  store: SnapflowJobStore;
  config: Config;
  /** The job queue's producer (the consumer sends an early message on through it). */
  queue: JobQueue;
}

export interface BuildWorkerServiceOptions {
  /** `waitUntil` of `cloudflare:workers`: holds the current event open for a promise. */
  waitUntil: WaitUntil;
  log: StepLogger;
  /** Lease owner id of this isolate. */
  owner: string;
  /** Defaults to schedules/schedules.ts (tests pass their own). */
  schedules?: readonly unknown[];
  /** Workflows besides the v1 kinds (tests: one around a step no v1 kind uses yet). */
  workflows?: ServiceInput['workflows'];
}

/** SNAPFLOW_DB=d1:<binding> picks another D1 binding; anything else means `DB`. */
function d1Binding(env: WorkerEnv, config: Config): D1Like {
  const url = config.database.url;
  const name = url.startsWith('d1:') ? url.slice('d1:'.length) : 'DB';
  const db = env[name] as Partial<D1Like> | undefined;
  if (!db || typeof db.prepare !== 'function' || typeof db.batch !== 'function') {
    throw new WorkerConfigError([`D1 binding "${name}" is missing (wrangler.toml [[d1_databases]] binding = "${name}")`]);
  }
  return db as D1Like;
}

function jobQueue(env: WorkerEnv): WorkerQueue | string {
  const q = env[JOBS_QUEUE_BINDING] as Partial<WorkerQueue> | undefined;
  if (q && typeof q.send === 'function') return q as WorkerQueue;
  return `queue binding "${JOBS_QUEUE_BINDING}" is missing (wrangler.toml [[queues.producers]] binding = "${JOBS_QUEUE_BINDING}")`;
}

/**
 * SNAPFLOW_TIME_SCALE (benchmarks against the simulator only, as on Node): multiplies every
 * step's retry and poll delays. Unset in any real deployment.
 */
function timeScale(env: WorkerEnv): number | string | undefined {
  const raw = env.SNAPFLOW_TIME_SCALE;
  if (raw === undefined || raw === '') return undefined;
  const scale = Number(raw);
  return Number.isFinite(scale) && scale > 0 && scale <= 1 ? scale : 'SNAPFLOW_TIME_SCALE: must be a number greater than 0 and at most 1';
}

export async function buildWorkerService(env: WorkerEnv, opts: BuildWorkerServiceOptions): Promise<WorkerService> {
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = await configFromEnv(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const clouds = parseWorkerClouds(env[CLOUDS_BINDING]);
  problems.push(...clouds.problems);
  const queue = jobQueue(env);
  if (typeof queue === 'string') problems.push(queue);
  const scale = timeScale(env);
  if (typeof scale === 'string') problems.push(scale);
  let schedules: Schedule[] = [];
  try {
    const sources = (opts.schedules ?? declaredSchedules).map((input) => ({ input, origin: 'schedules/schedules.ts' }));
    schedules = validateSchedules(sources, {
      ...(config ? { notificationNames: config.notifications.map((n) => n.name) } : {}),
      // an unreadable binding is reported once, above, not once per schedule
      ...(clouds.problems.length === 0
        ? { clouds: { names: clouds.clouds.names, problem: clouds.clouds.problem, warn: (line: string) => opts.log.warn(line) } }
        : {}),
    });
  } catch (err) {
    if (!(err instanceof ScheduleConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (config && clouds.problems.length === 0) {
    const hookClouds = checkWebhookClouds(config.webhooks, clouds.clouds);
    problems.push(...hookClouds.problems);
    for (const w of hookClouds.warnings) opts.log.warn(w);
  }
  if (problems.length > 0 || !config || typeof queue === 'string' || typeof scale === 'string') throw new WorkerConfigError(problems);

  for (const name of clouds.clouds.names) {
    const problem = clouds.clouds.problem(name);
    if (problem) opts.log.error(`cloud "${name}" is unusable, its jobs are refused: ${problem}`);
  }

  const store = createJobStore(openD1JobDb(d1Binding(env, config)));
  await store.migrate();

  const sender = createQueueSender(queue, opts.waitUntil, Date.now);
  const service = composeService({
    config,
    store,
    clouds: clouds.clouds.get,
    cloudNames: clouds.clouds.names,
    cloudProblem: clouds.clouds.problem,
    transport: globalFetchTransport(),
    schedules,
    // There is no simulator in Workers: every call goes to a configured cloud.
    mode: 'cloud',
    owner: opts.owner,
    // Every chained step and wake-up is a queue message: its consumer runs the step in an
    // invocation of its own, whoever sent it (a response, a cron event, another step).
    queue: sender,
    // What still runs here is a job this isolate already claimed (the hand-over of a step
    // that ended its job or put it to sleep): the event that committed it stays open for it.
    // Commits that hand over come from consumer and cron invocations, not from responses.
    dispatch: (_jobId, run) => opts.waitUntil(run()),
    wakeWithinMs: 0,
    // notifications are sent after the response: keep the event alive for them too
    waitUntil: opts.waitUntil,
    log: opts.log,
    ...(scale !== undefined ? { timeScale: scale } : {}),
    ...(opts.workflows ? { workflows: opts.workflows } : {}),
  });
  return { service, store, config, queue: sender };
}
