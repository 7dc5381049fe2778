// What createApp needs. Everything is injected so the same app runs on Node and Workers,
// and so it can be built before the real workflows/schedules exist.
import type { z } from 'zod';
import type { TokenEntry } from '../../shared/auth/tokens';
import type { Principal, Target } from '../../shared/auth/principal';
import type { WorkflowDefinition } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import type { JobStore } from '../../shared/jobs/types';
import type { SnapflowMetrics } from '../../shared/metrics/snapflow-metrics';
import type { JobNotifier } from './job-notifier';

/** The least every job request has: the discriminator and the target. */
export interface JobRequestBase {
  kind: string;
  cloud: string;
  server?: string;
  [field: string]: unknown;
}

/** The lock a submission takes once its target is resolved (e.g. the server's id, and its name as the alias). */
export interface ResolvedLock {
  lockKey: string;
  lockAlias?: string;
}

export interface ScheduleInfo {
  name: string;
  description?: string | null;
  enabled: boolean;
  cron: string;
  timezone: string;
  /** null when disabled (or the cron never fires again) */
  nextRunAt: Date | null;
  lastRunAt?: Date | null;
  target: { cloud: string; servers?: readonly string[]; selector?: Record<string, string> };
  retention?: { keep?: number; maxAgeDays?: number } | null;
  stop?: boolean;
}

export interface ScheduleRunResult {
  schedule: string;
  /** ISO time of the slot the run was filed under */
  slot?: string;
  jobs: { id: string; server: string; created: boolean }[];
  /** servers that could not be resolved or submitted (the others still ran) */
  errors?: { server?: string; message: string }[];
}

export interface ScheduleService {
  list(): ScheduleInfo[] | Promise<ScheduleInfo[]>;
  /** Materialises the schedule's jobs now; null for an unknown schedule name. */
  runNow(name: string, principal: Principal): Promise<ScheduleRunResult | null>;
}

export interface SnapshotInfo {
  id: string;
  name: string;
  status: string;
  cloud: string;
  /** name of the server it was taken from (null if unknown) */
  server: string | null;
  serverId: string | null;
  /** retention policy (schedule name) it was made for, null for a manual snapshot */
  policy: string | null;
  jobId: string | null;
  createdAt: Date;
  sizeBytes: number | null;
}

export interface SnapshotService {
  list(q: { cloud: string; server?: string }): Promise<SnapshotInfo[]>;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  /** 'simulator': every OpenStack call goes to the built-in simulator, no real cloud is touched */
  mode: 'simulator' | 'cloud';
  clouds: { name: string; ok: boolean; message?: string }[];
  db: { ok: boolean; dialect?: string; message?: string };
  version?: string;
}

export interface AppLogger {
  error(message: string, data?: Record<string, unknown>): void;
}

export interface AppDeps {
  engine: Pick<Engine, 'submit' | 'cancel'>;
  store: Pick<JobStore, 'getJob' | 'listJobs' | 'listEvents' | 'getJobByIdempotencyKey'>;
  /** Kinds and dry-run plans. */
  // any: workflows of every params type live in one list, as in createEngine
  workflows: readonly WorkflowDefinition<any>[];
  /** The v1 job submission contract: a discriminated union on `kind`, strict objects. */
  jobRequestSchema: z.ZodType;
  /** Engine params of a validated request (default: the request without `kind` and `dryRun`). */
  toParams?: (req: JobRequestBase) => unknown;
  /** Targets a request touches, each checked with canTarget (default: source, plus `to.cloud` for a move). */
  targetsOf?: (req: JobRequestBase) => Target[];
  /** The job lockKey of a server, for `GET /v1/jobs?server=` (default: `<cloud>/<server>`, as functions/workflows/params.ts). */
  serverLockKey?: (q: { cloud?: string; server: string }) => string;
  auth: { tokens: readonly TokenEntry[] | (() => readonly TokenEntry[]) };
  /**
   * Checks a new (not replayed, not dry-run) submission against the world before it is
   * queued: throws ApiError for an unknown server (404), and returns the lock the job takes
   * on the server as resolved (undefined: the workflow's own key). Best effort: an
   * unreachable cloud lets the job through (it retries). A server another job is busy with
   * is refused by the submit itself (409), atomically.
   */
  preflight?: (req: JobRequestBase) => Promise<ResolvedLock | undefined | void>;
  /** Wire the same notifier into createEngine({ onEvent }) so long-polls wake at once. */
  notifier: JobNotifier;
  schedules: ScheduleService;
  snapshots: SnapshotService;
  health(): HealthReport | Promise<HealthReport>;
  metrics: SnapflowMetrics;
  now?: () => number;
  log?: AppLogger;
  /** Long-poll store re-check interval (default 1000 ms; other instances may finish the job). */
  waitRecheckMs?: number;
}
