// Job-end notifications through a real engine (in-memory job table) to a real local HTTP
// server: what is sent, to whom, retries, and that a dead endpoint never hurts the job.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJobNotifications, type JobNotifications } from '../../functions/notifications';
import type { NotificationConfig } from '../../shared/config/load';
import { defineStep, defineWorkflow } from '../../shared/engine/define';
import { createEngine, type Engine } from '../../shared/engine/engine';
import { done, fail } from '../../shared/engine/results';
import type { Job, JobStore } from '../../shared/jobs/types';
import { type Schedule, ScheduleSchema } from '../../shared/schedule/schema';
import { MemoryJobStore } from '../engine/memory-store';

interface Received {
  path: string;
  contentType: string | undefined;
  body: { event: string; job: Record<string, unknown> };
}

let server: Server;
let base: string;
let received: Received[] = [];
/** Status codes to answer per path, consumed in order (then 204). */
let replies = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(data) });
      const status = replies.get(req.url ?? '')?.shift() ?? 204;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const policy = { maxAttempts: 1, baseMs: 10, maxMs: 10, factor: 1 };
const workflow = defineWorkflow({
  kind: 'probe',
  params: z.object({ cloud: z.string(), server: z.string(), outcome: z.enum(['ok', 'boom']) }),
  steps: [
    defineStep({
      name: 'act',
      retry: policy,
      timeout: 5_000,
      run: (ctx) => {
        const p = ctx.params as { outcome: string };
        return p.outcome === 'ok' ? done({ imageId: 'img-1' }) : fail(new Error('the cloud said no'));
      },
    }),
  ],
});

const logs: { level: string; message: string; data?: Record<string, unknown> }[] = [];
const log = {
  info: (message: string, data?: Record<string, unknown>) => logs.push({ level: 'info', message, data }),
  warn: (message: string, data?: Record<string, unknown>) => logs.push({ level: 'warn', message, data }),
  error: (message: string, data?: Record<string, unknown>) => logs.push({ level: 'error', message, data }),
};

let store: JobStore;
let engine: Engine | undefined;
let notifications: JobNotifications;

function start(notifs: NotificationConfig[], schedules: Schedule[] = [], over: { timeoutMs?: number } = {}): Engine {
  notifications = createJobNotifications({
    notifications: notifs,
    schedules,
    getJob: (id) => store.getJob(id),
    fetch: (url, init) => fetch(url, init),
    log,
    backoffMs: 20,
    retries: 3,
    ...over,
  });
  engine = createEngine({ store, workflows: [workflow], owner: 'test', leaseMs: 30_000, log, onEvent: (e) => notifications.onEvent(e) });
  return engine;
}

async function runJob(outcome: 'ok' | 'boom', requestedBy = 'alice'): Promise<Job> {
  const { job } = await engine!.submit('probe', { cloud: 'c1', server: 'srv-1', outcome }, { requestedBy });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const j = await store.getJob(job.id);
    if (j && ['succeeded', 'failed', 'cancelled'].includes(j.state)) return j;
    if (Date.now() > deadline) throw new Error(`job ${job.id} did not finish`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const target = (name: string, on: NotificationConfig['on'], path = `/${name}`): NotificationConfig => ({ name, url: `${base}${path}`, on });

beforeEach(() => {
  store = new MemoryJobStore(Date.now);
  received = [];
  replies = new Map();
  logs.length = 0;
});
afterEach(async () => {
  await notifications?.settle(10_000);
  await engine?.close(5_000);
  engine = undefined;
});

describe('job notifications', () => {
  it('posts job.succeeded with the job summary', async () => {
    start([target('chat', ['success', 'failure'])]);
    const job = await runJob('ok');
    await notifications.settle(10_000);
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r.path).toBe('/chat');
    expect(r.contentType).toBe('application/json');
    expect(r.body).toEqual({
      event: 'job.succeeded',
      job: {
        id: job.id,
        kind: 'probe',
        state: 'succeeded',
        params: { cloud: 'c1', server: 'srv-1', outcome: 'ok' },
        result: expect.objectContaining({ imageId: 'img-1' }),
        error: null,
        requestedBy: 'alice',
        links: { self: `/v1/jobs/${job.id}`, events: `/v1/jobs/${job.id}/events`, wait: `/v1/jobs/${job.id}/wait` },
      },
    });
  });

  it('posts job.failed with the error', async () => {
    start([target('chat', ['failure'])]);
    const job = await runJob('boom');
    await notifications.settle(10_000);
    expect(received.map((r) => r.body.event)).toEqual(['job.failed']);
    expect(received[0]!.body.job).toMatchObject({ id: job.id, state: 'failed', error: { message: expect.stringContaining('the cloud said no') } });
  });

  it('sends each event only to notifications whose `on` matches', async () => {
    start([target('ok-only', ['success']), target('fail-only', ['failure']), target('both', ['success', 'failure'])]);
    await runJob('ok');
    await notifications.settle(10_000);
    expect(received.map((r) => r.path).sort()).toEqual(['/both', '/ok-only']);
    received = [];
    await runJob('boom');
    await notifications.settle(10_000);
    expect(received.map((r) => r.path).sort()).toEqual(['/both', '/fail-only']);
  });

  it('retries after a 500 and then delivers; logs the name and status, never the URL', async () => {
    replies.set('/flaky/secret-token-xyz', [500]);
    start([target('flaky', ['success'], '/flaky/secret-token-xyz')]);
    await runJob('ok');
    await notifications.settle(10_000);
    expect(received.map((r) => r.body.event)).toEqual(['job.succeeded', 'job.succeeded']);
    const mine = logs.filter((l) => l.data?.notification === 'flaky');
    expect(mine.map((l) => [l.level, l.data?.problem ?? l.data?.status])).toEqual([
      ['warn', 'HTTP 500'],
      ['info', 204],
    ]);
    expect(JSON.stringify(logs)).not.toContain('secret-token-xyz');
  });

  it('gives up after bounded retries on a dead endpoint; the job is unaffected', async () => {
    // a port that was just free: nothing listens there
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    start([{ name: 'dead', url: `http://127.0.0.1:${port}/hook?token=abc`, on: ['success'] }, target('alive', ['success'])]);
    const job = await runJob('ok');
    expect(job.state).toBe('succeeded');
    await notifications.settle(10_000);
    expect(received.map((r) => r.path)).toEqual(['/alive']);
    const dlogs = logs.filter((l) => l.data?.notification === 'dead');
    expect(dlogs).toHaveLength(4); // 1 + 3 retries
    expect(dlogs.at(-1)).toMatchObject({ level: 'error', message: 'notification failed' });
    expect(JSON.stringify(logs)).not.toContain(String(port));
    // the engine still works afterwards
    expect((await runJob('ok')).state).toBe('succeeded');
  });

  it('times out a hanging endpoint per attempt', async () => {
    const hang = createServer(() => {}); // never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    try {
      const port = (hang.address() as AddressInfo).port;
      start([{ name: 'hang', url: `http://127.0.0.1:${port}/`, on: ['success'] }], [], { timeoutMs: 100 });
      await runJob('ok');
      await notifications.settle(10_000);
      const hlogs = logs.filter((l) => l.data?.notification === 'hang');
      expect(hlogs.map((l) => l.data?.problem)).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });

  it("adds a schedule's notify.to targets for jobs it made, when notify.on matches", async () => {
    const nightly = ScheduleSchema.parse({
      name: 'nightly',
      cron: '0 2 * * *',
      target: { cloud: 'c1', servers: ['srv-1'] },
      notify: { on: ['success'], to: ['ops'] },
    });
    // `ops` alone would only hear of failures; the schedule asks for its successes too
    start([target('ops', ['failure']), target('audit', ['failure'])], [nightly]);
    await runJob('ok', 'schedule:nightly');
    await runJob('ok', 'schedule:nightly (missed slot)');
    await runJob('ok', 'alice'); // not a schedule's job: nobody hears of it
    await runJob('ok', 'schedule:nightly-other');
    await notifications.settle(10_000);
    expect(received.map((r) => [r.path, r.body.job.requestedBy])).toEqual([
      ['/ops', 'schedule:nightly'],
      ['/ops', 'schedule:nightly (missed slot)'],
    ]);
    received = [];
    await runJob('boom', 'schedule:nightly'); // failures: both by their own `on`, ops once
    await notifications.settle(10_000);
    expect(received.map((r) => r.path).sort()).toEqual(['/audit', '/ops']);
  });

  it('reports a cancelled job as job.cancelled (a failure outcome)', async () => {
    start([target('chat', ['failure'])]);
    const { job } = await engine!.submit('probe', { cloud: 'c1', server: 'srv-1', outcome: 'ok' }, { runAfter: Date.now() + 60_000 });
    await engine!.cancel(job.id);
    await engine!.cancel(job.id); // a second cancel must not notify twice
    await notifications.settle(10_000);
    expect(received.map((r) => [r.body.event, r.body.job.state])).toEqual([['job.cancelled', 'cancelled']]);
  });
});
