// Builds the whole service from its parts. Runtime-agnostic: the Node entry (node-main.ts)
// and the Workers entry (worker.ts) differ only in what they pass in (job store, transport,
// how the next step is dispatched, where clouds come from).
import type { Config } from '../shared/config/load';
import type { StepLogger, WorkflowDefinition } from '../shared/engine/define';
import { createEngine, type Dispatch, type Engine, type JobQueue } from '../shared/engine/engine';
import type { EngineEvent } from '../shared/engine/engine-event';
import { NonRetryableError } from '../shared/engine/errors';
import { leaseMsFor } from '../shared/engine/lease';
import type { SnapflowJobStore } from '../shared/jobs/create-job-store';
import { createSnapflowMetrics, type SnapflowMetrics } from '../shared/metrics/snapflow-metrics';
import type { OpenStackClient } from '../shared/openstack/client';
import type { CloudConfig } from '../shared/openstack/cloud-config';
import { createTokenCache } from '../shared/openstack/identity';
import type { CallObserver, Transport } from '../shared/openstack/transport';
import type { Schedule } from '../shared/schedule/schema';
import { createHealthCheck, type HealthReport } from './health';
import { createHookService } from './hooks/hook-service';
import { createApp } from './http/app';
import { createJobNotifier } from './http/job-notifier';
import { createRunnerTaskSignal, type RunnerTaskSignal } from './http/runner-task-signal';
import { createJobNotifications, type JobNotifications } from './notifications';
import { createRunnerTaskService, type RunnerTaskService } from './runner-task-service';
import { createSchedulesRuntime, type SchedulesRuntime } from './schedule-service';
import { createSnapshotService } from './snapshot-service';
import { createSubmitPreflight } from './submit-preflight';
import { allWorkflows } from './workflows/all-workflows';
import { openstackProvider, type WorkflowDeps, workflowConfigFrom } from './workflows/deps';
import type { RunnerStepDeps } from './workflows/runner-step-deps';

export interface ServiceInput {
  config: Config;
  store: SnapflowJobStore;
  /** clouds.yaml entries by name (undefined for an unknown or unusable name). */
  clouds(name: string): CloudConfig | undefined;
  /** Every defined cloud, usable or not (health reports each). */
  cloudNames: readonly string[];
  /**
   * Why a defined cloud cannot be used (its entry is broken: the file, the cloud and the
   * key at fault, never a value); undefined for a usable or unknown cloud.
   */
  cloudProblem?(name: string): string | undefined;
  transport: Transport;
  schedules: readonly Schedule[];
  /** 'simulator' when every OpenStack call goes to the built-in simulator. */
  mode: 'simulator' | 'cloud';
  /** Lease owner id, unique per process/isolate. */
  owner: string;
  dispatch?: Dispatch;
  /** Workers: chained steps and wake-ups go to this queue instead of this process. */
  queue?: JobQueue;
  wakeWithinMs?: number;
  log: StepLogger;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  /** Multiplies retry/poll delays (tests only). */
  timeScale?: number;
  /** Workers: keeps the isolate alive while job notifications are delivered. */
  waitUntil?: (p: Promise<unknown>) => void;
  /**
   * Workflows besides the v1 kinds, run by the same engine (tests: one around a step that
   * no v1 kind uses yet). Submitted through engine.submit: POST /v1/jobs only takes v1 kinds.
   */
  // any: workflows of every params type, as in createEngine
  workflows?: (deps: WorkflowDeps, runner: RunnerStepDeps) => readonly WorkflowDefinition<any>[];
  /** How often a runner's waiting claim looks at the task table again (default 1000 ms). */
  claimRecheckMs?: number;
}

export interface Service {
  engine: Engine;
  app: ReturnType<typeof createApp>;
  schedules: SchedulesRuntime;
  metrics: SnapflowMetrics;
  /** Job-end notifications (settle() before shutting down). */
  notifications: JobNotifications;
  /** Checks the job table and authenticates to every cloud (cached for 30 s). */
  health(): Promise<HealthReport>;
  /** The sysprep runners' side: the protocol's rules, and the wake-up of waiting claims. */
  runner: { tasks: RunnerTaskService; signal: RunnerTaskSignal; steps: RunnerStepDeps };
}

/**
 * One log line per transition, carrying the job id and the OpenStack request ids, so a log
 * search for a request id from a Nova/Glance log leads to the job and step that made it.
 */
function logEvent(log: StepLogger, e: EngineEvent): void {
  const { event, patch } = e;
  const data = {
    jobId: e.jobId,
    kind: e.kind,
    type: event.type,
    step: event.step,
    attempt: event.attempt,
    state: patch.state,
    ...(event.requestIds.length ? { requestIds: event.requestIds } : {}),
    ...(patch.error ? { error: patch.error } : {}),
  };
  const line = `job ${event.type}${event.step ? ` ${event.step}` : ''}`;
  if (patch.state === 'failed' || event.type.endsWith('.failed')) log.error(line, data);
  else if (event.type.endsWith('.retry')) log.warn(line, data);
  else log.info(line, data);
}

export function composeService(input: ServiceInput): Service {
  const now = input.now ?? Date.now;
  const metrics = createSnapflowMetrics();
  const notifier = createJobNotifier();
  const tokenCache = createTokenCache();
  const onCall: CallObserver = (call) => metrics.observeOpenStackCall(call);
  const anyCloud = openstackProvider({ clouds: input.clouds, transport: input.transport, tokenCache, onCall });
  // A job (or a schedule) for a cloud whose entry is broken fails at once, naming the fault,
  // instead of "unknown cloud" or retries against a cloud it can never reach.
  const provider: WorkflowDeps['openstack'] = (cloud, ctx) => {
    const problem = input.cloudProblem?.(cloud);
    if (problem) throw new NonRetryableError(`cloud "${cloud}" is unusable: ${problem}`, { code: 'cloud_unusable' });
    return anyCloud(cloud, ctx);
  };
  const openstack = (cloud: string): OpenStackClient => provider(cloud);

  const c = input.config;
  const deps: WorkflowDeps = {
    openstack: provider,
    config: workflowConfigFrom(c),
    fetch: input.fetch ?? ((url, init) => fetch(url, init)),
    now,
    jobs: input.store,
  };
  const taskSignal = createRunnerTaskSignal();
  const runnerSteps: RunnerStepDeps = { tasks: input.store, queued: () => taskSignal.queued(), maxAttempts: c.runner.maxAttempts };
  const workflows = [...allWorkflows(deps), ...(input.workflows?.(deps, runnerSteps) ?? [])];
  const notifications = createJobNotifications({
    notifications: c.notifications,
    schedules: input.schedules,
    getJob: (id) => input.store.getJob(id),
    fetch: deps.fetch,
    log: input.log,
    ...(input.waitUntil ? { waitUntil: input.waitUntil } : {}),
  });
  const engine = createEngine({
    store: input.store,
    workflows,
    owner: input.owner,
    leaseMs: leaseMsFor(input.store.dialect),
    dispatch: input.dispatch,
    ...(input.queue ? { queue: input.queue } : {}),
    wakeWithinMs: input.wakeWithinMs,
    log: input.log,
    now,
    ...(input.timeScale !== undefined ? { timeScale: input.timeScale } : {}),
    onEvent: (e) => {
      notifier.onEvent(e);
      notifications.onEvent(e);
      metrics.observeEngineEvent(e);
      logEvent(input.log, e);
    },
  });
  const runnerTasks = createRunnerTaskService({
    store: input.store,
    leaseMs: c.runner.leaseMs,
    now,
    onQueued: () => taskSignal.queued(),
    // the job's step reads the outcome now; on Workers the dispatch hook keeps the event alive for it
    wakeJob: (jobId) => engine.wake(jobId),
  });
  const schedules = createSchedulesRuntime({ schedules: input.schedules, engine, openstack, now, log: input.log, slots: input.store, owner: input.owner });

  const health = createHealthCheck({
    store: input.store,
    cloudNames: input.cloudNames,
    ...(input.cloudProblem ? { cloudProblem: input.cloudProblem } : {}),
    openstack,
    mode: input.mode,
    now,
  });

  const preflight = createSubmitPreflight({
    hasCloud: (n) => input.clouds(n) !== undefined,
    ...(input.cloudProblem ? { cloudProblem: input.cloudProblem } : {}),
    openstack,
  });
  const app = createApp({
    engine,
    store: input.store,
    workflows,
    auth: { tokens: c.tokens },
    preflight,
    hooks: createHookService({ webhooks: c.webhooks, engine, store: input.store, preflight, now, log: input.log }),
    notifier,
    schedules,
    snapshots: createSnapshotService(openstack),
    health,
    metrics,
    now,
    log: input.log,
    runner: { tasks: runnerTasks, signal: taskSignal, ...(input.claimRecheckMs !== undefined ? { recheckMs: input.claimRecheckMs } : {}) },
  });
  return { engine, app, schedules, metrics, notifications, health, runner: { tasks: runnerTasks, signal: taskSignal, steps: runnerSteps } };
}
