import { hostname } from 'node:os';
import { z } from 'zod';
import { durationMs } from '../shared/config/duration';
import { ConfigError } from '../shared/config/load';
import { formatIssues } from '../shared/config/zod-issues';
import { guestPath } from '../shared/runner/protocol';

// The runner's configuration: a YAML/JSON file (--config or SNAPFLOW_RUNNER_CONFIG) and the
// environment, which wins. Objects are strict so that a typo stops start-up. The token is
// only ever read from SNAPFLOW_RUNNER_TOKEN: it never sits in the file and is never logged.

const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40 };

/** "512MiB", "2GiB", "10G", "1.5GiB" or a number of bytes. */
export function parseByteSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i.exec(text.trim());
  if (!m) return null;
  const factor = UNITS[(m[2] ?? '').toLowerCase()];
  return factor === undefined ? null : Math.round(Number(m[1]) * factor);
}

const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseByteSize(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: 'invalid size (use e.g. "512MiB", "2GiB", "10G" or bytes)' });
    return z.NEVER;
  }
  return n;
});

const toolPath = z
  .string()
  .min(1)
  .regex(/^[^\0\n]+$/);
/** One LIBGUESTFS_BACKEND_SETTINGS entry (the variable joins them with ':'). */
const backendSetting = z.string().regex(/^[A-Za-z0-9_.=,/-]+$/, { message: 'must be a setting such as force_tcg (no ":")' });

export const RunnerFileSchema = z.strictObject({
  /** The snapflow service, e.g. https://snapflow.example.org/ */
  serviceUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  /** Name the runner claims under (default: the host name). */
  runnerId: z.string().min(1).max(200).optional(),
  /** Where images are downloaded and cleaned; one subdirectory per task. */
  scratchDir: z.string().min(1).optional(),
  /** The runner's own clouds.yaml (default: the standard search order, OS_CLIENT_CONFIG_FILE first). */
  cloudsFile: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(16).default(1),
  claimWaitSeconds: z.number().int().min(0).max(30).default(30),
  libguestfs: z
    .strictObject({
      backend: z
        .string()
        .regex(/^[a-z][a-z0-9]*(:[^\s]+)?$/, { message: 'must be a libguestfs backend such as direct' })
        .default('direct'),
      /** e.g. [force_tcg] where KVM is missing or broken */
      backendSettings: z.array(backendSetting).default([]),
      /** The appliance cache (LIBGUESTFS_CACHEDIR; default /var/tmp). */
      cacheDir: z.string().min(1).optional(),
    })
    .default({ backend: 'direct', backendSettings: [] }),
  timeouts: z
    .strictObject({
      sysprep: durationMs.default(1_800_000),
      verify: durationMs.default(600_000),
      qemuImg: durationMs.default(600_000),
    })
    .default({ sysprep: 1_800_000, verify: 600_000, qemuImg: 600_000 }),
  /** Paths a task may ask to delete besides the two every cleaning deletes. */
  extraDeletePaths: z.array(guestPath).default([]),
  /** Free space needed beyond the image: max(minBytes, fraction x virtual size). */
  headroom: z
    .strictObject({ minBytes: byteSize.default(1024 ** 3), fraction: z.number().min(0).max(10).default(0.1) })
    .default({ minBytes: 1024 ** 3, fraction: 0.1 }),
  download: z
    .strictObject({
      /** Range requests after a dropped connection. */
      resumeAttempts: z.number().int().min(0).max(50).default(5),
      resumeDelay: durationMs.default(2000),
    })
    .default({ resumeAttempts: 5, resumeDelay: 2000 }),
  tools: z
    .strictObject({ qemuImg: toolPath.default('qemu-img'), virtSysprep: toolPath.default('virt-sysprep'), guestfish: toolPath.default('guestfish') })
    .default({ qemuImg: 'qemu-img', virtSysprep: 'virt-sysprep', guestfish: 'guestfish' }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export interface RunnerConfig {
  serviceUrl: string;
  /** Secret: never log it (redactRunnerConfig). */
  token: string;
  runnerId: string;
  scratchDir: string;
  cloudsFile: string | undefined;
  concurrency: number;
  claimWaitSeconds: number;
  libguestfs: { backend: string; backendSettings: string[]; cacheDir: string | undefined };
  timeouts: { sysprepMs: number; verifyMs: number; qemuImgMs: number };
  extraDeletePaths: string[];
  headroom: { minBytes: number; fraction: number };
  download: { resumeAttempts: number; resumeDelayMs: number };
  tools: { qemuImg: string; virtSysprep: string; guestfish: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that override the file (the token has no file counterpart). */
const ENV_KEYS = {
  SNAPFLOW_RUNNER_URL: 'serviceUrl',
  SNAPFLOW_RUNNER_ID: 'runnerId',
  SNAPFLOW_RUNNER_SCRATCH_DIR: 'scratchDir',
  SNAPFLOW_RUNNER_CONCURRENCY: 'concurrency',
  SNAPFLOW_LOG_LEVEL: 'logLevel',
} as const;

/**
 * Validates the file (parsed YAML/JSON, or undefined) and the environment. Every problem is
 * collected into one ConfigError, one line per problem naming the source and field; no line
 * ever contains a value.
 */
export function buildRunnerConfig(file: unknown, env: Env, source = 'runner config'): RunnerConfig {
  const problems: string[] = [];
  if (file !== undefined && file !== null && (typeof file !== 'object' || Array.isArray(file))) {
    throw new ConfigError([`${source}: must be a mapping of settings`]);
  }
  const raw: Record<string, unknown> = { ...((file as Record<string, unknown> | null | undefined) ?? {}) };
  if ('token' in raw) {
    problems.push(`${source}: token: the token is never read from the file; set SNAPFLOW_RUNNER_TOKEN`);
    delete raw.token;
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    raw[key] = key === 'concurrency' ? (/^\d+$/.test(v) ? Number(v) : v) : v;
  }
  const lg = { ...((raw.libguestfs as Record<string, unknown> | undefined) ?? {}) };
  if (env.LIBGUESTFS_BACKEND) lg.backend = env.LIBGUESTFS_BACKEND;
  if (env.LIBGUESTFS_BACKEND_SETTINGS !== undefined) lg.backendSettings = env.LIBGUESTFS_BACKEND_SETTINGS.split(':').filter(Boolean);
  if (env.LIBGUESTFS_CACHEDIR) lg.cacheDir = env.LIBGUESTFS_CACHEDIR;
  if (Object.keys(lg).length) raw.libguestfs = lg;

  const parsed = RunnerFileSchema.safeParse(raw);
  if (!parsed.success) problems.push(...formatIssues(parsed.error, source));
  const token = env.SNAPFLOW_RUNNER_TOKEN ?? '';
  if (!token) problems.push('environment: SNAPFLOW_RUNNER_TOKEN is not set (a snapflow token with scope runner)');
  else if (/\s/.test(token)) problems.push('environment: SNAPFLOW_RUNNER_TOKEN must not contain white space');
  if (parsed.success) {
    if (!parsed.data.serviceUrl) problems.push(`${source}: serviceUrl: required (or SNAPFLOW_RUNNER_URL)`);
    if (!parsed.data.scratchDir) problems.push(`${source}: scratchDir: required (or SNAPFLOW_RUNNER_SCRATCH_DIR)`);
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const f = parsed.data;
  return {
    serviceUrl: f.serviceUrl!.replace(/\/+$/, ''),
    token,
    runnerId: f.runnerId ?? hostname(),
    scratchDir: f.scratchDir!,
    cloudsFile: f.cloudsFile,
    concurrency: f.concurrency,
    claimWaitSeconds: f.claimWaitSeconds,
    libguestfs: { backend: f.libguestfs.backend, backendSettings: f.libguestfs.backendSettings, cacheDir: f.libguestfs.cacheDir },
    timeouts: { sysprepMs: f.timeouts.sysprep, verifyMs: f.timeouts.verify, qemuImgMs: f.timeouts.qemuImg },
    extraDeletePaths: f.extraDeletePaths,
    headroom: f.headroom,
    download: { resumeAttempts: f.download.resumeAttempts, resumeDelayMs: f.download.resumeDelay },
    tools: f.tools,
    logLevel: f.logLevel,
  };
}

/** The configuration as it may be logged. */
export function redactRunnerConfig(c: RunnerConfig): Omit<RunnerConfig, 'token'> & { token: '[redacted]' } {
  return { ...c, token: '[redacted]' };
}
