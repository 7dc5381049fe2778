// GET /v1/schedules (read) and POST /v1/schedules/:name/run (admin). A schedule is shown
// to, and run by, only tokens that may target every server it snapshots (a selector
// schedule: any server of its cloud); others see it as absent.
import { z } from 'zod';
import { canTarget, type Principal, type Target } from '../../shared/auth/principal';
import { redactUrlSecrets } from '../../shared/config/redact-text';
import type { ScheduleInfo } from '../schedule-service';
import { type AnyRoute, authResponses, defineRoute, errorReply } from './api-route';
import type { AppDeps } from './app-deps';
import { ApiError, badRequest, notFound } from './envelope';
import { jobLinks } from './job-view';
import { emptyQuery, scheduleNameParam, scheduleRunReply, schedulesReply } from './schemas';

const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toScheduleView(s: ScheduleInfo) {
  return {
    name: s.name,
    description: s.description ?? null,
    enabled: s.enabled,
    cron: s.cron,
    timezone: s.timezone,
    nextRunAt: isoOrNull(s.nextRunAt),
    lastRunAt: isoOrNull(s.lastRunAt),
    lastRun: s.lastRun
      ? {
          slot: s.lastRun.slot.toISOString(),
          finishedAt: isoOrNull(s.lastRun.finishedAt),
          jobs: { ...s.lastRun.jobs },
          errors: s.lastRun.errors.map((e) => ({ ...e })),
        }
      : null,
    target: {
      cloud: s.target.cloud,
      ...(s.target.servers ? { servers: [...s.target.servers] } : {}),
      ...(s.target.selector ? { selector: { ...s.target.selector } } : {}),
    },
    retention: s.retention ?? null,
    stop: s.stop ?? false,
  };
}

function scheduleTargets(s: ScheduleInfo): Target[] {
  const servers = s.target.servers && !s.target.selector ? s.target.servers : ['*'];
  return servers.map((server) => ({ cloud: s.target.cloud, server }));
}

export function mayUseSchedule(principal: Principal, s: ScheduleInfo): boolean {
  return scheduleTargets(s).every((t) => canTarget(principal, t));
}

export function schedulesRoutes(deps: AppDeps): AnyRoute[] {
  const list = defineRoute({
    method: 'get',
    path: '/v1/schedules',
    summary: 'List schedules with their next run (only those the token may target)',
    scope: 'read',
    targets: 'filtered',
    query: emptyQuery,
    responses: { 200: { description: 'schedules', schema: schedulesReply }, ...authResponses() },
    async handle(c) {
      const all = await deps.schedules.list();
      return c.json({ schedules: all.filter((s) => mayUseSchedule(c.var.principal, s)).map(toScheduleView) });
    },
  });

  const run = defineRoute({
    method: 'post',
    path: '/v1/schedules/{name}/run',
    summary: 'Run a schedule now',
    scope: 'admin',
    targets: 'hidden',
    params: z.object({ name: z.string() }),
    responses: {
      202: { description: 'jobs submitted', schema: scheduleRunReply },
      400: { description: 'invalid schedule name', schema: errorReply },
      ...authResponses(),
      404: { description: 'unknown schedule (or one the token may not target)', schema: errorReply },
      422: { description: 'the run started no job: every target failed (error.details.errors)', schema: errorReply },
    },
    async handle(c, { params }) {
      const name = params.name;
      if (!scheduleNameParam.safeParse(name).success) throw badRequest('invalid_path', 'name: not a schedule name', 'name');
      const schedule = (await deps.schedules.list()).find((s) => s.name === name);
      if (!schedule || !mayUseSchedule(c.var.principal, schedule)) throw notFound(`schedule "${name}"`);
      const out = await deps.schedules.runNow(name, c.var.principal);
      if (!out) throw notFound(`schedule "${name}"`);
      const errors = (out.errors ?? []).map((e) => ({ ...e, message: redactUrlSecrets(e.message) }));
      // Nothing started and something failed (an unknown or unusable cloud, targets that
      // could not be resolved): the run did not happen, so no 202. A run that started some
      // jobs is accepted with the failures listed.
      if (out.jobs.length === 0 && errors.length > 0) {
        throw new ApiError(422, 'schedule_run_failed', `schedule "${name}" started no job: ${errors.map((e) => e.message).join('; ')}`, {
          field: 'name',
          details: { schedule: out.schedule, slot: out.slot ?? null, errors },
        });
      }
      return c.json(
        {
          schedule: out.schedule,
          slot: out.slot ?? null,
          jobs: out.jobs.map((j) => ({ id: j.id, server: j.server, created: j.created, links: jobLinks(j.id) })),
          errors,
        },
        202,
      );
    },
  });

  return [list, run];
}
