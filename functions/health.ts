// The service's health: the job table answers, and every cloud authenticates (or why not).
// Cached for a while so /healthz (no token needed) cannot be used to hammer Keystone.
import { redactUrlSecrets } from '../shared/config/redact-text';
import type { SnapflowJobStore } from '../shared/jobs/create-job-store';
import type { OpenStackClient } from '../shared/openstack/client';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  /** 'simulator': every OpenStack call goes to the built-in simulator, no real cloud is touched */
  mode: 'simulator' | 'cloud';
  clouds: { name: string; ok: boolean; message?: string }[];
  db: { ok: boolean; dialect?: string; message?: string };
  version?: string;
}

export interface HealthInput {
  store: Pick<SnapflowJobStore, 'listJobs' | 'dialect'>;
  cloudNames: readonly string[];
  /** Why a configured cloud cannot be used at all (bad entry), or undefined. */
  cloudProblem?: (name: string) => string | undefined;
  openstack(cloud: string): OpenStackClient;
  mode: HealthReport['mode'];
  now(): number;
}

const HEALTH_CACHE_MS = 30_000;

/** health() never rejects: it runs unattended at start-up and on every /healthz. */
export function createHealthCheck(input: HealthInput): () => Promise<HealthReport> {
  let cached: { at: number; report: HealthReport } | null = null;
  // Messages are redacted once more, since /healthz answers without a token.
  const failed = (err: unknown) => redactUrlSecrets(err instanceof Error ? err.message : String(err));
  return async function health(): Promise<HealthReport> {
    if (cached && input.now() - cached.at < HEALTH_CACHE_MS) return cached.report;
    const db = await Promise.resolve()
      .then(() => input.store.listJobs({ limit: 1 }))
      .then(() => ({ ok: true, dialect: input.store.dialect }))
      .catch((err: unknown) => ({ ok: false, dialect: input.store.dialect, message: failed(err) }));
    const clouds = await Promise.all(
      input.cloudNames.map((name) => {
        const problem = input.cloudProblem?.(name);
        if (problem) return { name, ok: false, message: `unusable: ${redactUrlSecrets(problem)}` };
        return Promise.resolve()
          .then(() => input.openstack(name).identity.token())
          .then(() => ({ name, ok: true }))
          .catch((err: unknown) => ({ name, ok: false, message: failed(err) }));
      }),
    );
    const ok = db.ok && clouds.every((x) => x.ok);
    const report: HealthReport = { status: !db.ok ? 'down' : ok ? 'ok' : 'degraded', mode: input.mode, clouds, db };
    cached = { at: input.now(), report };
    return report;
  };
}
