// What the workflow factories need from the outside world. Workflows never read the
// environment or open connections themselves: the Node entry, the Workers entry and the
// tests each build a WorkflowDeps and pass it to allWorkflows(deps).

import type { Config } from '../../shared/config/load';
import { DEFAULT_IMAGE_NAME_PATTERN } from '../../shared/config/name-pattern';
import type { StepContext } from '../../shared/engine/define';
import { NonRetryableError } from '../../shared/engine/errors';
import type { JobStore } from '../../shared/jobs/types';
import { createOpenStackClient, type OpenStackClient } from '../../shared/openstack/client';
import type { CloudConfig } from '../../shared/openstack/cloud-config';
import type { MicroversionCache } from '../../shared/openstack/compute';
import type { TokenCache } from '../../shared/openstack/identity';
import type { CallObserver, Transport } from '../../shared/openstack/transport';

export interface WorkflowConfig {
  /** e.g. '{server}-snap-{YYYYMMDD-HHmmss}' (UTC), see shared/config/name-pattern.ts */
  imageNamePattern: string;
  /** createImage until the image (and its volume snapshots) are ready. */
  snapshotWaitMs: number;
  /** stop / start / rebuild until the server reaches its state. */
  serverWaitMs: number;
  /** Snapshots started at once per cloud entry (project). */
  snapshotsPerProject: number;
  /** Safety net over the whole job, from submission (queue time included). */
  jobDeadlineMs: number;
  /** Called after each snapshot (e.g. to resync the guest clock); may embed a secret: never logged. */
  postSnapshotHookUrl?: string;
  postSnapshotHookTimeoutMs: number;
  /** Not used by the steps: the engine's onEvent observer sends job notifications. */
  notifyUrls?: string[];
}

export interface WorkflowDeps {
  /** A client for one clouds.yaml entry; with ctx, every call's request id is recorded on the step's event. */
  openstack(cloudName: string, ctx?: StepContext<any>): OpenStackClient;
  config: WorkflowConfig;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  now(): number;
  /** The job table, read-only: a rollback whose image comes from a snapshot job reads that job. */
  jobs?: Pick<JobStore, 'getJob'>;
}

export const DEFAULT_WORKFLOW_CONFIG: WorkflowConfig = {
  imageNamePattern: DEFAULT_IMAGE_NAME_PATTERN,
  snapshotWaitMs: 2 * 3_600_000,
  serverWaitMs: 30 * 60_000,
  snapshotsPerProject: 2,
  jobDeadlineMs: 24 * 3_600_000,
  postSnapshotHookTimeoutMs: 30_000,
};

export function workflowConfig(partial: Partial<WorkflowConfig> = {}): WorkflowConfig {
  const out: WorkflowConfig = { ...DEFAULT_WORKFLOW_CONFIG };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** The workflow part of snapflow's resolved configuration (shared/config/load.ts). */
export function workflowConfigFrom(c: Config, over: Partial<WorkflowConfig> = {}): WorkflowConfig {
  return workflowConfig({
    imageNamePattern: c.images.namePattern,
    snapshotWaitMs: c.deadlines.snapshotWaitMs,
    serverWaitMs: c.deadlines.serverWaitMs,
    snapshotsPerProject: c.limits.snapshotsPerProject,
    postSnapshotHookUrl: c.hooks.postSnapshot?.url,
    postSnapshotHookTimeoutMs: c.hooks.postSnapshot?.timeoutMs,
    notifyUrls: c.notifications.map((n) => n.url),
    ...over,
  });
}

export interface OpenStackProviderOptions {
  /** The cloud entry for a name, undefined when there is none. */
  clouds(name: string): CloudConfig | undefined;
  transport: Transport;
  tokenCache?: TokenCache;
  requestTimeoutMs?: number;
  userAgent?: string;
  /** Sees every call of every client (metrics: OpenStack calls by service and status). */
  onCall?: CallObserver;
}

/**
 * The real `openstack` dependency: a fresh client per call (cheap: the token cache is
 * process-wide) whose onCall forwards each request id to the step, so job events name the
 * exact OpenStack requests a step made.
 */
export function openstackProvider(opts: OpenStackProviderOptions): WorkflowDeps['openstack'] {
  // One per provider: every step makes its own client, and without this each would fetch
  // Nova's version document again (2-3 extra GETs per job).
  const versionCache: MicroversionCache = new Map();
  return (cloudName, ctx) => {
    const cloud = opts.clouds(cloudName);
    if (!cloud) throw new NonRetryableError(`unknown cloud ${JSON.stringify(cloudName)}`, { code: 'unknown_cloud' });
    return createOpenStackClient(cloud, {
      transport: opts.transport,
      versionCache,
      ...(opts.tokenCache ? { tokenCache: opts.tokenCache } : {}),
      ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
      onCall: (call) => {
        opts.onCall?.(call);
        ctx?.recordRequestId(call.requestId);
      },
    });
  };
}
