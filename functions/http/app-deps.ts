// What createApp needs. Everything is injected so the same app runs on Node and Workers,
// and so it can be built before the real workflows/schedules exist.
import type { z } from 'zod';
import type { TokenEntry } from '../../shared/auth/tokens';
import type { WorkflowDefinition } from '../../shared/engine/define';
import type { Engine } from '../../shared/engine/engine';
import type { JobStore } from '../../shared/jobs/types';
import type { SnapflowMetrics } from '../../shared/metrics/snapflow-metrics';
import type { HealthReport } from '../health';
import type { HookService } from '../hooks/hook-service';
import type { ScheduleService } from '../schedule-service';
import type { SnapshotService } from '../snapshot-service';
import type { JobRequestBase, ResolvedLock } from '../submit-preflight';
import type { JobNotifier } from './job-notifier';
import type { RunnerRouteDeps } from './runner-routes';

export interface AppLogger {
  error(message: string, data?: Record<string, unknown>): void;
}

export interface AppDeps {
  engine: Pick<Engine, 'submit' | 'cancel'>;
  store: Pick<JobStore, 'getJob' | 'listJobs' | 'listEvents' | 'getJobByIdempotencyKey'>;
  /**
   * Every deployed kind: its request contract, dry-run mode, plan and targets come from its
   * definition, so the HTTP layer keeps no per-kind lists.
   */
  // any: workflows of every params type live in one list, as in createEngine
  workflows: readonly WorkflowDefinition<any>[];
  /** The v1 submission contract (default: the union of the workflows' `request` schemas). */
  jobRequestSchema?: z.ZodType;
  /** Engine params of a validated request (default: the request without `kind` and `dryRun`). */
  toParams?: (req: JobRequestBase) => unknown;
  auth: { tokens: readonly TokenEntry[] | (() => readonly TokenEntry[]) };
  /**
   * Checks a new (not replayed, not dry-run) submission against the world before it is
   * queued: throws ApiError for an unknown server (404), and returns the lock the job takes
   * on the server as resolved (undefined: the workflow's own key). Best effort: an
   * unreachable cloud lets the job through (it retries). A server another job is busy with
   * is refused by the submit itself (409), atomically.
   */
  preflight?: (req: JobRequestBase) => Promise<ResolvedLock | undefined | undefined>;
  /** Wire the same notifier into createEngine({ onEvent }) so long-polls wake at once. */
  notifier: JobNotifier;
  schedules: ScheduleService;
  /** CI webhooks (absent: every /v1/hooks/ delivery is a 404). */
  hooks?: HookService;
  snapshots: SnapshotService;
  health(): HealthReport | Promise<HealthReport>;
  metrics: SnapflowMetrics;
  now?: () => number;
  log?: AppLogger;
  /** Long-poll store re-check interval (default 1000 ms; other instances may finish the job). */
  waitRecheckMs?: number;
  /** The sysprep runners' routes (/v1/runner/…); absent: not served. */
  runner?: RunnerRouteDeps;
}
