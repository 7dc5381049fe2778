// GET /v1/schedules (read) and POST /v1/schedules/:name/run (admin).
import type { Hono } from 'hono';
import { requireAuth } from '../../shared/auth/middleware';
import type { AppDeps, ScheduleInfo } from './app-deps';
import type { AppEnv } from './app-env';
import { redactUrlSecrets } from '../../shared/config/redact-text';
import { ApiError, badRequest, notFound } from './envelope';
import { jobLinks } from './job-view';
import { emptyQuery, scheduleNameParam } from './schemas';
import { parseWith } from './validate';

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
    target: {
      cloud: s.target.cloud,
      ...(s.target.servers ? { servers: [...s.target.servers] } : {}),
      ...(s.target.selector ? { selector: { ...s.target.selector } } : {}),
    },
    retention: s.retention ?? null,
    stop: s.stop ?? false,
  };
}

export function registerSchedulesRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/schedules', requireAuth({ tokens: deps.auth.tokens, scope: 'read' }), async (c) => {
    parseWith(emptyQuery, c.req.query(), 'query');
    const list = await deps.schedules.list();
    return c.json({ schedules: list.map(toScheduleView) });
  });

  app.post('/schedules/:name/run', requireAuth({ tokens: deps.auth.tokens, scope: 'admin' }), async (c) => {
    const name = c.req.param('name');
    if (!scheduleNameParam.safeParse(name).success) throw badRequest('invalid_path', 'name: not a schedule name', 'name');
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
  });
}
