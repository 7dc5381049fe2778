// POST /v1/schedules/:name/run: a run that started nothing because of errors is a 422 (the
// errors in details), a partial one stays a 202 listing what failed, and no message
// carries a URL's userinfo or query string.
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleRunResult } from '../../functions/schedule-service';
import { fakeSchedules, type Harness, startHarness, TOKENS } from './harness';

let h: Harness | undefined;
afterEach(async () => h?.close());

async function runWith(outcome: ScheduleRunResult) {
  h = await startHarness({ deps: { schedules: { list: () => fakeSchedules, runNow: async () => outcome } } });
  const res = await h.app.request('/v1/schedules/nightly/run', { method: 'POST', headers: { Authorization: `Bearer ${TOKENS.admin}` } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const job = { id: 'j1', server: 'web-1', created: true };

describe('schedule run status', () => {
  it('nothing started, errors: 422 naming the schedule, the errors in details, URLs redacted', async () => {
    const r = await runWith({
      schedule: 'nightly',
      slot: '2026-01-01T00:00:00.000Z',
      jobs: [],
      errors: [
        { message: 'resolving targets: cloud "typo" is unusable: auth.pasword: unknown key' },
        { server: 'x', message: 'GET http://u:pw@h/v3?token=t failed' },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({
      code: 'schedule_run_failed',
      field: 'name',
      details: {
        schedule: 'nightly',
        slot: '2026-01-01T00:00:00.000Z',
        errors: [
          { message: 'resolving targets: cloud "typo" is unusable: auth.pasword: unknown key' },
          { server: 'x', message: 'GET http://[redacted]@h/v3?[redacted] failed' },
        ],
      },
    });
    expect(r.body.error.message).toMatch(/^schedule "nightly" started no job: resolving targets: cloud "typo" is unusable/);
    expect(JSON.stringify(r.body)).not.toMatch(/pw@|token=t/);
  });

  it('some jobs started: 202 with the failures listed', async () => {
    const r = await runWith({ schedule: 'nightly', jobs: [job], errors: [{ server: 'web-2', message: 'no server "web-2"' }] });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ jobs: [{ id: 'j1', server: 'web-1', created: true }], errors: [{ server: 'web-2', message: 'no server "web-2"' }] });
  });

  it('nothing to do and nothing failed (a selector matching no server): 202', async () => {
    const r = await runWith({ schedule: 'nightly', jobs: [], errors: [] });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ jobs: [], errors: [] });
  });
});
