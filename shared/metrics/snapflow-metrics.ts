// snapflow's metrics, fed by the entry points: the engine's onEvent, the OpenStack client's
// onCall observer, and the HTTP app (request counts). Label values are bounded sets (kinds,
// step names, states, services, route patterns): never ids or raw paths.
import { createMetricsRegistry, type MetricsRegistry } from './registry';

/** The subset of the engine's EngineEvent the metrics read (kept structural: no engine import). */
export interface ObservedEngineEvent {
  jobId: string;
  kind: string;
  event: { type: string; fromState: string | null; toState: string | null; step: string | null; at?: number; data: Record<string, unknown> | null };
}

/** The OpenStack client's CallInfo. */
export interface ObservedOpenStackCall {
  service: string;
  method: string;
  path: string;
  status: number;
  requestId?: string | undefined;
  durationMs: number;
}

export interface SnapflowMetrics {
  readonly registry: MetricsRegistry;
  observeEngineEvent(e: ObservedEngineEvent): void;
  observeOpenStackCall(call: ObservedOpenStackCall): void;
  observeHttpRequest(r: { method: string; route: string; status: number; durationMs: number }): void;
  /** Refreshes the `snapflow_jobs` gauge from the job table before each scrape. */
  trackJobStates(countByState: () => Promise<Record<string, number>>): void;
}

const STEP_OUTCOMES: Record<string, string> = {
  'step.done': 'done',
  'step.wait': 'wait',
  'step.retry': 'retry',
  'step.failed': 'failed',
  'cleanup.done': 'done',
  'cleanup.failed': 'failed',
};

// Events after which the job sleeps on purpose: the time until the next event is not step work.
const SLEEPING_EVENTS = new Set(['step.wait', 'step.retry', 'cancel.requested']);
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const MAX_TRACKED_JOBS = 10_000;

export function createSnapflowMetrics(registry: MetricsRegistry = createMetricsRegistry()): SnapflowMetrics {
  const transitions = registry.counter('snapflow_job_transitions_total', 'Job state transitions committed by this process', ['kind', 'to_state']);
  const events = registry.counter('snapflow_job_events_total', 'Job events committed by this process', ['kind', 'type']);
  const stepSeconds = registry.histogram('snapflow_step_duration_seconds', 'Duration of one step run', ['kind', 'step', 'outcome']);
  const osCalls = registry.counter('snapflow_openstack_calls_total', 'OpenStack API calls by service and HTTP status (0: no response)', [
    'service',
    'method',
    'status',
  ]);
  const osSeconds = registry.histogram('snapflow_openstack_call_duration_seconds', 'OpenStack API call latency', ['service', 'method']);
  const httpRequests = registry.counter('snapflow_http_requests_total', 'HTTP requests served', ['method', 'route', 'status']);
  const httpSeconds = registry.histogram('snapflow_http_request_duration_seconds', 'HTTP request latency', ['method', 'route']);
  const jobs = registry.gauge('snapflow_jobs', 'Jobs in the job table by state', ['state']);

  // Last event per job seen here: the fallback step duration when the event carries none.
  const lastEvent = new Map<string, { at: number; type: string }>();

  return {
    registry,

    observeEngineEvent({ jobId, kind, event }) {
      events.inc({ kind, type: event.type });
      if (event.toState !== null && event.toState !== event.fromState) transitions.inc({ kind, to_state: event.toState });
      const at = event.at ?? Date.now();
      const outcome = STEP_OUTCOMES[event.type];
      if (outcome !== undefined && event.step !== null) {
        const reported = event.data?.durationMs;
        const prev = lastEvent.get(jobId);
        const ms = typeof reported === 'number' ? reported : prev !== undefined && !SLEEPING_EVENTS.has(prev.type) ? at - prev.at : undefined;
        if (ms !== undefined && ms >= 0) stepSeconds.observe({ kind, step: event.step, outcome }, ms / 1000);
      }
      if (event.toState !== null && TERMINAL.has(event.toState)) {
        lastEvent.delete(jobId);
      } else {
        if (lastEvent.size >= MAX_TRACKED_JOBS && !lastEvent.has(jobId)) {
          // Oldest entry first (Map keeps insertion order).
          const oldest = lastEvent.keys().next().value;
          if (oldest !== undefined) lastEvent.delete(oldest);
        }
        lastEvent.set(jobId, { at, type: event.type });
      }
    },

    observeOpenStackCall(call) {
      const method = call.method.toUpperCase();
      osCalls.inc({ service: call.service, method, status: String(call.status) });
      osSeconds.observe({ service: call.service, method }, call.durationMs / 1000);
    },

    observeHttpRequest(r) {
      httpRequests.inc({ method: r.method, route: r.route, status: String(r.status) });
      httpSeconds.observe({ method: r.method, route: r.route }, r.durationMs / 1000);
    },

    trackJobStates(countByState) {
      registry.onCollect(async () => {
        const counts = await countByState();
        jobs.reset();
        for (const [state, n] of Object.entries(counts)) jobs.set({ state }, n);
      });
    },
  };
}
