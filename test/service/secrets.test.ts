// Every kind of secret planted in the real Node entry — cloud password, a password inside
// auth_url (refused), an application-credential secret, API tokens (configured, wrong,
// in the query string), a webhook secret, the post-snapshot hook URL and a notification
// URL with tokens in their path and query — then full workflows through the HTTP API on
// the simulator (snapshot, rollback, prune, with hook and notification failures on the
// way), and every log line, every API response and every row of every job-table table
// searched for each secret: no hit.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { cleanUpServices, health, startService, stop, tempDir, until } from './node-entry';

const planted = (what: string) => `planted-${what}-${randomBytes(6).toString('hex')}`;
const S = {
  cloudPassword: planted('cloud-password'),
  urlPassword: planted('auth-url-password'),
  appCredSecret: planted('app-cred-secret'),
  apiToken: planted('api-token'),
  readerToken: planted('reader-token'),
  wrongToken: planted('wrong-token'),
  queryToken: planted('query-token'),
  webhookSecret: planted('webhook-secret'),
  hookPath: planted('hook-path'),
  hookQuery: planted('hook-query'),
  notifyPath: planted('notify-path'),
  notifyQuery: planted('notify-query'),
};

/** Answers each path's first call with an error (so the failure paths run too), then 200. */
function receiver() {
  const calls: { path: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      const status = calls.some((c) => c.path === path) ? 200 : 503;
      calls.push({ path, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, calls };
}

let sim: SimHandle | undefined;
let hooks: ReturnType<typeof receiver> | undefined;
afterAll(async () => {
  await cleanUpServices();
  await sim?.close();
  hooks?.server.close();
});

describe('secrets', { timeout: 180_000 }, () => {
  it('never reach a log line, an API response or the job table', async () => {
    sim = await startSimulator();
    const admin = sim.state.projectId('admin');
    sim.state.raw.addUser('snapuser', S.cloudPassword, [[admin, ['admin', 'member', 'reader']]]);
    const cred = sim.state.addAppCred({ user: 'snapuser', project: 'admin', secret: S.appCredSecret });
    sim.state.addServer({ name: 'web-secret', user: 'snapuser' });
    hooks = receiver();
    await new Promise<void>((r) => hooks!.server.listen(0, '127.0.0.1', r));
    const hookBase = `http://127.0.0.1:${(hooks.server.address() as { port: number }).port}`;

    const dir = tempDir();
    const passwordAuth = (authUrl: string) => [
      '    auth:',
      `      auth_url: ${authUrl}`,
      '      username: snapuser',
      `      password: ${S.cloudPassword}`,
      '      project_name: admin',
      '      user_domain_id: default',
      '      project_domain_id: default',
    ];
    writeFileSync(
      join(dir, 'clouds.yaml'),
      [
        'clouds:',
        '  pw:',
        ...passwordAuth(sim.authUrl),
        '  leaky:',
        ...passwordAuth(sim.authUrl.replace('://', `://snapuser:${S.urlPassword}@`)),
        '  appcred:',
        '    auth_type: v3applicationcredential',
        '    auth:',
        `      auth_url: ${sim.authUrl}`,
        `      application_credential_id: ${cred.id}`,
        `      application_credential_secret: ${S.appCredSecret}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'snapflow.yaml'),
      [
        'hooks: {postSnapshot: {urlEnv: HOOK_URL, timeout: 5s}}',
        'notifications: [{name: ops, urlEnv: NOTIFY_URL, on: [success, failure]}]',
        'tokens: [{name: reader, secretEnv: READER_TOKEN, scopes: [read], targets: ["**"]}]',
        'webhooks: [{name: ci, provider: generic, secretEnv: WEBHOOK_SECRET}]',
        'schedules: {graceWindow: 0}',
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir, 'schedules'));
    writeFileSync(join(dir, 'schedules', 'leaky.yaml'), 'name: leaky-nightly\ncron: "0 0 29 2 *"\ntarget: {cloud: leaky, servers: [web-secret]}\n');
    const s = await startService(dir, {
      OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
      SNAPFLOW_CONFIG: join(dir, 'snapflow.yaml'),
      SNAPFLOW_SCHEDULES_DIR: join(dir, 'schedules'),
      SNAPFLOW_TOKENS: JSON.stringify([{ name: 'ops', secret: S.apiToken, scopes: ['admin'], targets: ['**'] }]),
      READER_TOKEN: S.readerToken,
      WEBHOOK_SECRET: S.webhookSecret,
      HOOK_URL: `${hookBase}/hook/${S.hookPath}?token=${S.hookQuery}`,
      NOTIFY_URL: `${hookBase}/notify/${S.notifyPath}?key=${S.notifyQuery}`,
    });
    await health(s);

    const responses: string[] = [];
    const call = async (method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) => {
      const token = opts.token === undefined ? S.apiToken : opts.token;
      const res = await fetch(`http://127.0.0.1:${s.port}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      // the request's own query string (a planted token) is not part of what came back
      responses.push(`${method} ${path.split('?')[0]} -> ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
      return { status: res.status, json: () => JSON.parse(text) as Record<string, any> };
    };
    const runJob = async (body: Record<string, unknown>) => {
      const sub = await call('POST', '/v1/jobs', { body });
      expect(sub.status, JSON.stringify(sub.json())).toBe(202);
      const id = sub.json().id as string;
      const job = await until('job end', 120_000, async () => {
        const j = (await call('GET', `/v1/jobs/${id}/wait?timeout=20`)).json();
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      });
      expect(job.state, JSON.stringify(job)).toBe('succeeded');
      await call('GET', `/v1/jobs/${id}/events`);
      return id;
    };

    await runJob({ kind: 'snapshot', cloud: 'pw', server: 'web-secret' });
    await runJob({ kind: 'snapshot', cloud: 'appcred', server: 'web-secret' });
    await runJob({ kind: 'rollback', cloud: 'pw', server: 'web-secret', image: 'latest', confirm: true });
    await runJob({ kind: 'prune', cloud: 'pw', server: 'web-secret', keep: 1 });
    expect((await call('POST', '/v1/jobs', { body: { kind: 'snapshot', cloud: 'leaky', server: 'web-secret' } })).json().error.code).toBe('cloud_unusable');
    expect((await call('POST', '/v1/schedules/leaky-nightly/run')).status).toBe(422);
    expect((await call('GET', '/v1/jobs', { token: S.readerToken })).status).toBe(200);
    expect((await call('GET', '/v1/jobs', { token: S.wrongToken })).status).toBe(401);
    expect((await call('GET', `/v1/jobs?token=${S.queryToken}`, { token: null })).status).toBeGreaterThanOrEqual(400);
    expect((await call('POST', '/v1/jobs', { body: { kind: 'snapshot', cloud: 'pw', server: 'web-secret', secret: S.webhookSecret } })).status).toBe(400);
    for (const path of ['/v1/jobs?limit=100', '/v1/snapshots?cloud=pw&server=web-secret', '/v1/schedules', '/v1/jobs/no-such-job', '/nowhere'])
      await call('GET', path);
    for (const path of ['/healthz', '/metrics', '/openapi.json', '/docs']) await call('GET', path, { token: null });

    // the planted secrets were in play: hooks and notifications went to their URLs (after
    // a failed first attempt each), logins with the password and the app credential worked
    await until('notifications of the four jobs', 60_000, async () =>
      hooks!.calls.filter((c) => c.path.startsWith(`/notify/${S.notifyPath}?key=${S.notifyQuery}`) && c.status === 200).length >= 4 ? true : undefined,
    );
    expect(hooks.calls.filter((c) => c.path === `/hook/${S.hookPath}?token=${S.hookQuery}`).map((c) => c.status)).toEqual([503, 200, 200]);
    expect(await stop(s)).toEqual({ code: 0, signal: null });

    const db = new Database(join(dir, 'jobs.sqlite'), { readonly: true });
    const rows: string[] = [];
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      for (const { name } of tables)
        rows.push(
          ...db
            .prepare(`SELECT * FROM "${name}"`)
            .all()
            .map((r) => `${name}: ${JSON.stringify(r)}`),
        );
      expect(rows.filter((r) => r.startsWith('jobs: ')).length).toBeGreaterThanOrEqual(4);
    } finally {
      db.close();
    }

    const places = { logs: s.output(), responses: responses.join('\n'), 'job table': rows.join('\n') };
    const hits = Object.entries(S).flatMap(([name, value]) =>
      Object.entries(places)
        .filter(([, text]) => text.includes(value) || text.includes(encodeURIComponent(value)))
        .map(([where]) => `${name} in ${where}`),
    );
    expect(hits).toEqual([]);
    // the refused URL was reported, by key, without its password
    expect(s.output()).toContain('clouds.leaky.auth.auth_url: must not contain a user name or password');
  });
});
