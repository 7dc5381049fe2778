// Schedules → snapshot jobs. Runtime-agnostic: node-cron (Node) and Cron Triggers
// (Workers) both end up in fireDue(); POST /v1/schedules/:name/run ends up in runNow().
// Each firing materialises ONE snapshot job per target server per slot with the
// idempotency key `schedule:<name>:<slot>:<server id>`, so overlapping firings, a late
// tick and two instances never double-snapshot: the second submit returns the first job.
// Each job locks on `<cloud>/<server id>` (the targets are resolved first), like a job
// submitted through the API, with the server's name as the lock alias. A slot whose server
// is busy with another job QUEUES behind it (an API submission gets a 409 instead): the
// nightly rollback point is still wanted once the other job is done, the per-slot key keeps
// it to one job per slot, and the job's deadline bounds how long it may wait.
import type { Principal } from '../shared/auth/principal';
import { formatImageName } from '../shared/config/name-pattern';
import type { Engine } from '../shared/engine/engine';
import type { ScheduleSlotStore } from '../shared/jobs/types';
import type { OpenStackClient } from '../shared/openstack/client';
import type { Server } from '../shared/openstack/compute-schemas';
import type { Schedule } from '../shared/schedule/schema';
import { dueSlots, missedSlot, nextRun, slotKey, triggeredSlot } from '../shared/schedule/slots';
import { serverLockKey } from './workflows/params';

export interface ScheduleInfo {
  name: string;
  description?: string | null;
  enabled: boolean;
  cron: string;
  timezone: string;
  /** null when disabled (or the cron never fires again) */
  nextRunAt: Date | null;
  lastRunAt?: Date | null;
  /** The latest slot fired, and how its jobs are doing (null: never fired, or no slot record kept). */
  lastRun?: LastRun | null;
  target: { cloud: string; servers?: readonly string[]; selector?: Record<string, string> };
  retention?: { keep?: number; maxAgeDays?: number } | null;
  stop?: boolean;
}

export interface LastRun {
  slot: Date;
  finishedAt: Date | null;
  /** Jobs by state (`unknown`: a job that no longer exists). */
  jobs: Record<string, number>;
  errors: { server?: string; message: string }[];
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

export interface ScheduleServiceDeps {
  schedules: readonly Schedule[];
  engine: Pick<Engine, 'submit'>;
  /** A client for a clouds.yaml entry (no step context: these calls belong to no job). */
  openstack(cloud: string): OpenStackClient;
  now(): number;
  log?: { info(m: string, d?: Record<string, unknown>): void; error(m: string, d?: Record<string, unknown>): void };
  /**
   * The slot records: one firer per slot across instances, and what each firing made. Without
   * it every tick fires what is due (the jobs' idempotency keys still prevent doubles).
   */
  slots?: ScheduleSlotStore;
  /** This process, as the slots' owner. */
  owner?: string;
}

/** A firing whose instance died is taken over after this long (by the next tick within the grace window). */
export const SLOT_STALE_MS = 5 * 60_000;

export interface FireResult extends ScheduleRunResult {
  slot: string;
  errors: { server?: string; message: string }[];
  /** Set when this instance did not fire the slot (another one did, or is doing it). */
  skipped?: string;
}

export interface SchedulesRuntime extends ScheduleService {
  /** Fire every slot of every enabled schedule in (since, now]. */
  fireDue(since: Date, now: Date): Promise<FireResult[]>;
  /** At start-up: fire each schedule's most recent slot if it lies within the grace window. */
  fireMissed(now: Date, graceMs: number): Promise<FireResult[]>;
  /** A Cron Trigger of `cron` fired at `at`: the slot it stands for, of every schedule written with that expression. */
  fireCron(cron: string, at: Date): Promise<FireResult[]>;
  fireSlot(schedule: Schedule, slot: Date, requestedBy: string): Promise<FireResult>;
}

function metadataMatches(server: Server, selector: Record<string, string>): boolean {
  const md = (server as { metadata?: Record<string, string> }).metadata ?? {};
  return Object.entries(selector).every(([k, v]) => md[k] === v);
}

/** Target servers: the named ones plus every server whose metadata matches the selector. */
async function resolveTargets(client: OpenStackClient, schedule: Schedule): Promise<{ id: string; name: string }[]> {
  const out = new Map<string, { id: string; name: string }>();
  for (const name of schedule.target.servers ?? []) {
    const s = await client.compute.resolveServer(name);
    out.set(s.id, { id: s.id, name: s.name });
  }
  const selector = schedule.target.selector;
  if (selector && Object.keys(selector).length > 0) {
    for (const s of await client.compute.listAllServers()) {
      if (metadataMatches(s, selector)) out.set(s.id, { id: s.id, name: s.name });
    }
  }
  return [...out.values()];
}

export function createSchedulesRuntime(deps: ScheduleServiceDeps): SchedulesRuntime {
  const byName = new Map(deps.schedules.map((s) => [s.name, s]));

  const owner = deps.owner ?? 'schedules';

  /** One firer per slot; a manual run is its own slot and is recorded whatever the claim says. */
  async function claim(schedule: Schedule, slot: Date, manual: boolean): Promise<boolean> {
    if (!deps.slots) return true;
    const won = await deps.slots.claimSlot(schedule.name, slot.getTime(), { owner, staleMs: SLOT_STALE_MS, now: deps.now() });
    return won || manual;
  }

  async function fireSlot(schedule: Schedule, slot: Date, requestedBy: string, manual = false): Promise<FireResult> {
    const result: FireResult = { schedule: schedule.name, slot: slot.toISOString(), jobs: [], errors: [] };
    if (!(await claim(schedule, slot, manual))) return { ...result, skipped: 'fired by another instance (or being fired)' };
    const fired = await submitSlot(schedule, slot, requestedBy, result);
    // A firing that made no job because the cloud could not be asked stays unfinished: once
    // stale, a later tick within the grace window fires it again.
    const final = fired.jobs.length > 0 || fired.errors.length === 0;
    if (deps.slots && final)
      await deps.slots.finishSlot(schedule.name, slot.getTime(), owner, { jobIds: fired.jobs.map((j) => j.id), errors: fired.errors }, deps.now());
    return fired;
  }

  async function submitSlot(schedule: Schedule, slot: Date, requestedBy: string, result: FireResult): Promise<FireResult> {
    let targets: { id: string; name: string }[];
    try {
      targets = await resolveTargets(deps.openstack(schedule.target.cloud), schedule);
    } catch (err) {
      result.errors.push({ message: `resolving targets: ${(err as Error).message}` });
      deps.log?.error('schedule targets failed', { schedule: schedule.name, slot: result.slot, error: (err as Error).message });
      return result;
    }
    for (const t of targets) {
      const params: Record<string, unknown> = {
        cloud: schedule.target.cloud,
        server: t.id,
        stop: schedule.stop,
        policy: schedule.name,
        ...(schedule.retention?.keep !== undefined ? { keep: schedule.retention.keep } : {}),
        ...(schedule.retention?.maxAgeDays !== undefined ? { maxAgeDays: schedule.retention.maxAgeDays } : {}),
        ...(schedule.namePattern
          ? { name: formatImageName(schedule.namePattern, { server: t.name, date: slot, cloud: schedule.target.cloud, schedule: schedule.name }) }
          : {}),
      };
      try {
        const { job, created } = await deps.engine.submit('snapshot', params, {
          idempotencyKey: slotKey(schedule, slot, t.id),
          requestedBy,
          lockKey: serverLockKey({ cloud: schedule.target.cloud, server: t.id }),
          lockAlias: serverLockKey({ cloud: schedule.target.cloud, server: t.name }),
        });
        result.jobs.push({ id: job.id, server: t.name, created });
      } catch (err) {
        result.errors.push({ server: t.name, message: (err as Error).message });
      }
    }
    deps.log?.info('schedule fired', { schedule: schedule.name, slot: result.slot, jobs: result.jobs.length, errors: result.errors.length });
    return result;
  }

  async function lastRuns(): Promise<{ name: string; run: LastRun }[]> {
    if (!deps.slots) return [];
    const records = await deps.slots.lastSlots(deps.schedules.map((s) => s.name));
    const jobs = new Map((await deps.slots.getJobs(records.flatMap((r) => r.jobIds))).map((j) => [j.id, j.state]));
    return records.map((r) => {
      const counts: Record<string, number> = {};
      for (const id of r.jobIds) {
        const state = jobs.get(id) ?? 'unknown';
        counts[state] = (counts[state] ?? 0) + 1;
      }
      return {
        name: r.schedule,
        run: { slot: new Date(r.slot), finishedAt: r.finishedAt === null ? null : new Date(r.finishedAt), jobs: counts, errors: r.errors },
      };
    });
  }

  return {
    fireSlot,
    async list(): Promise<ScheduleInfo[]> {
      const now = new Date(deps.now());
      const last = new Map((await lastRuns()).map((r) => [r.name, r.run]));
      return deps.schedules.map((s) => ({
        name: s.name,
        description: s.description ?? null,
        enabled: s.enabled,
        cron: s.cron,
        timezone: s.timezone,
        nextRunAt: s.enabled ? nextRun(s, now) : null,
        lastRunAt: last.get(s.name)?.slot ?? null,
        lastRun: last.get(s.name) ?? null,
        target: s.target,
        retention: s.retention ?? null,
        stop: s.stop,
      }));
    },
    async runNow(name: string, principal: Principal) {
      const schedule = byName.get(name);
      if (!schedule) return null;
      // A manual run is its own slot (to the second): running it twice in the same second
      // yields the same jobs, which is what a double-clicked button should do.
      const slot = new Date(Math.floor(deps.now() / 1000) * 1000);
      return fireSlot(schedule, slot, `${principal.name} (run now)`, true);
    },
    // Schedules fire side by side (each one's slots in order): one after the other, the last
    // of many projects' nightlies waited for all the others' target lists and submits before
    // its first snapshot could start (bench/nightly.ts).
    async fireDue(since: Date, now: Date) {
      const perSchedule = await Promise.all(
        deps.schedules.map(async (s) => {
          const results: FireResult[] = [];
          for (const slot of dueSlots(s, since, now)) results.push(await fireSlot(s, slot, `schedule:${s.name}`));
          return results;
        }),
      );
      return perSchedule.flat();
    },
    async fireMissed(now: Date, graceMs: number) {
      const fired = await Promise.all(
        deps.schedules.map((s) => {
          // The slot record says whether the most recent slot fired (or whose firing died);
          // without one, firing it again is still safe: the jobs' idempotency keys return the
          // jobs a first firing made instead of snapshotting twice.
          const slot = missedSlot(s, null, now, graceMs);
          return slot ? fireSlot(s, slot, `schedule:${s.name} (missed slot)`) : null;
        }),
      );
      return fired.filter((r): r is FireResult => r !== null);
    },
    async fireCron(cron: string, at: Date) {
      const fired = await Promise.all(
        deps.schedules.map((s) => {
          const slot = triggeredSlot(s, cron, at);
          return slot ? fireSlot(s, slot, `schedule:${s.name}`) : null;
        }),
      );
      return fired.filter((r): r is FireResult => r !== null);
    },
  };
}
