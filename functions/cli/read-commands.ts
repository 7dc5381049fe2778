// The commands that read (and cancel): jobs, show, events, snapshots, schedules [run], cancel.
// Human output is a table or a few lines; --json prints the service's document (for
// `jobs --all` and `events`, every page merged into one document).
import { type ApiClient, jobPath } from './api-client';
import type { EventJson, EventsJson, JobJson, JobListJson, ScheduleRunJson, SchedulesJson, SnapshotsJson } from './api-types';
import { ageOf, elapsedOf, eventLine, formatBytes, formatDuration, formatJobError, formatResult, jobOutcomeLine, table, targetOf } from './format';
import { printJson, printLine } from './output';

export interface ListJobsOptions {
  state?: string;
  kind?: string;
  server?: string;
  cloud?: string;
  limit?: number;
  all?: boolean;
}

export async function listJobs(api: ApiClient, o: ListJobsOptions, json: boolean): Promise<void> {
  const jobs: JobJson[] = [];
  let cursor: string | undefined;
  let next: string | null = null;
  do {
    const page = await api.get<JobListJson>('/v1/jobs', {
      state: o.state,
      kind: o.kind,
      server: o.server,
      cloud: o.server !== undefined ? o.cloud : undefined,
      limit: o.limit,
      cursor,
    });
    jobs.push(...page.jobs);
    next = page.next;
    cursor = next ?? undefined;
  } while (o.all && next !== null);
  if (json) return printJson({ jobs, next: o.all ? null : next });
  if (jobs.length === 0) return printLine('no jobs');
  const now = Date.now();
  printLine(
    table(
      ['ID', 'KIND', 'STATE', 'STEP', 'TARGET', 'CREATED', 'TOOK', 'BY'],
      jobs.map((j) => [j.id, j.kind, j.state, j.step ?? '-', targetOf(j), ageOf(j.createdAt, now), elapsedOf(j, now), j.requestedBy ?? '-']),
    ),
  );
  if (next !== null) printLine('(more jobs: --all lists every page)');
}

export async function showJob(api: ApiClient, id: string, json: boolean): Promise<void> {
  const job = await api.get<JobJson>(jobPath(id));
  if (json) return printJson(job);
  printLine(jobOutcomeLine(job));
  const rows: [string, string | null][] = [
    ['state', `${job.state}${job.cancelRequested && job.state !== 'cancelled' ? ' (cancel requested)' : ''}`],
    ['step', job.step],
    ['attempt', String(job.attempt)],
    ['progress', job.progress ? `${job.progress.phase}${progressBytes(job.progress)}` : null],
    ['requested by', job.requestedBy],
    ['created', job.createdAt],
    ['started', job.startedAt],
    ['finished', job.finishedAt],
    ['error', job.error ? formatJobError(job) : null],
    ['params', JSON.stringify(job.params)],
  ];
  for (const [k, v] of rows) if (v !== null && v !== '') printLine(`  ${`${k}:`.padEnd(14)}${v}`);
  const result = formatResult(job.result);
  if (result.length) {
    printLine('  result:');
    for (const l of result) printLine(`  ${l}`);
  }
}

export async function listEvents(api: ApiClient, id: string, json: boolean): Promise<void> {
  const events: EventJson[] = [];
  let after = 0;
  for (;;) {
    const page = await api.get<EventsJson>(`${jobPath(id)}/events`, { after, limit: 1000 });
    events.push(...page.events);
    if (page.next === null || page.events.length === 0) break;
    after = page.next;
  }
  if (json) return printJson({ events, next: null });
  if (events.length === 0) return printLine('no events');
  const since = Date.parse(events[0]!.at);
  printLine(`events of job ${id} (from ${events[0]!.at})`);
  for (const e of events) printLine(eventLine(e, since));
}

export async function listSnapshots(api: ApiClient, cloud: string, server: string | undefined, json: boolean): Promise<void> {
  const reply = await api.get<SnapshotsJson>('/v1/snapshots', { cloud, server });
  if (json) return printJson(reply);
  if (reply.snapshots.length === 0) return printLine(`no snapflow snapshots of ${server !== undefined ? `${cloud}/${server}` : `cloud ${cloud}`}`);
  printLine(
    table(
      ['ID', 'NAME', 'STATUS', 'SERVER', 'POLICY', 'AGE', 'SIZE', 'JOB'],
      reply.snapshots.map((s) => [
        s.id,
        s.name,
        s.status,
        s.server ?? '-',
        s.policy ?? '-',
        formatDuration(s.ageSeconds * 1000),
        formatBytes(s.sizeBytes),
        s.jobId ?? '-',
      ]),
    ),
  );
}

export async function listSchedules(api: ApiClient, json: boolean): Promise<void> {
  const reply = await api.get<SchedulesJson>('/v1/schedules');
  if (json) return printJson(reply);
  if (reply.schedules.length === 0) return printLine('no schedules');
  printLine(
    table(
      ['NAME', 'ENABLED', 'CRON', 'TIMEZONE', 'NEXT RUN', 'TARGET', 'RETENTION'],
      reply.schedules.map((s) => [
        s.name,
        s.enabled ? 'yes' : 'no',
        s.cron,
        s.timezone,
        s.nextRunAt ?? '-',
        `${s.target.cloud}: ${
          s.target.servers
            ? s.target.servers.join(',')
            : Object.entries(s.target.selector ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(',')
        }`,
        s.retention
          ? [s.retention.keep !== undefined ? `keep ${s.retention.keep}` : '', s.retention.maxAgeDays !== undefined ? `max ${s.retention.maxAgeDays}d` : '']
              .filter(Boolean)
              .join(', ')
          : '-',
      ]),
    ),
  );
}

export async function runSchedule(api: ApiClient, name: string, json: boolean): Promise<void> {
  const { body } = await api.request<ScheduleRunJson>('POST', `/v1/schedules/${encodeURIComponent(name)}/run`);
  if (json) return printJson(body);
  printLine(`schedule ${body.schedule}${body.slot ? ` (slot ${body.slot})` : ''}: ${body.jobs.length} job(s)`);
  for (const j of body.jobs) printLine(`  ${j.server}: job ${j.id}${j.created ? '' : ' (already there for this slot)'}`);
  for (const e of body.errors) printLine(`  ${e.server ?? 'error'}: ${e.message}`);
}

export async function cancelJob(api: ApiClient, id: string, json: boolean): Promise<void> {
  const { body } = await api.request<JobJson>('POST', `${jobPath(id)}/cancel`);
  if (json) return printJson(body);
  printLine(
    body.state === 'cancelled'
      ? `job ${body.id} cancelled`
      : `cancel requested: job ${body.id} stops before its next step (now ${body.state}${body.step ? `, step ${body.step}` : ''})`,
  );
}

/** " 1.2 GiB / 4.0 GiB" of a job's progress, or "" when it counts no bytes. */
function progressBytes(p: { done: number | null; total: number | null }): string {
  if (p.done === null) return '';
  return ` ${formatBytes(p.done)}${p.total !== null ? ` / ${formatBytes(p.total)}` : ''}`;
}
