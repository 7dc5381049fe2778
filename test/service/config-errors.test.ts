// Careless configuration against the real Node entry: a start-up mistake is one clear line
// naming the setting and the path, exit 78, no stack trace, no "listening"; a broken cloud
// entry or a schedule on it leaves the service running and says what is wrong where.
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { cleanUpServices, exitOf, health, logLines, type Running, startService, stop, tempDir } from './node-entry';

afterAll(cleanUpServices);

const STACK_FRAME = /^\s+at \S/m;
const EX_CONFIG = 78;

/** Exactly one error line, containing every fragment; no stack, no "listening". */
async function expectOneClearLine(s: Running, ...fragments: string[]): Promise<string> {
  const exit = await exitOf(s);
  expect(exit, s.output()).toEqual({ code: EX_CONFIG, signal: null });
  const errors = logLines(s).filter((l) => l.level >= 50 || l.level === -1);
  expect(
    errors.map((l) => l.msg),
    s.output(),
  ).toHaveLength(1);
  for (const f of fragments) expect(errors[0]!.msg).toContain(f);
  expect(s.output()).not.toMatch(STACK_FRAME);
  expect(s.output()).not.toContain('listening');
  return errors[0]!.msg;
}

// Generous deadlines: each case is a fresh Node process compiling the entry with tsx,
// which takes a while on a busy machine.
describe('start-up errors: one line naming the setting and the path, exit 78', { timeout: 120_000 }, () => {
  it('a port in use', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = String((busy.address() as { port: number }).port);
    try {
      const s = await startService(tempDir(), { SNAPFLOW_PORT: port });
      await expectOneClearLine(s, `SNAPFLOW_PORT=${port}`, 'SNAPFLOW_HOST=127.0.0.1', 'already in use (EADDRINUSE)');
    } finally {
      busy.close();
    }
  });

  it('SNAPFLOW_DB where no file can be created', async () => {
    const s = await startService(tempDir(), { SNAPFLOW_DB: 'sqlite:/sys/snapflow-test.sqlite' });
    await expectOneClearLine(s, 'SNAPFLOW_DB=sqlite:/sys/snapflow-test.sqlite: cannot create the file /sys/snapflow-test.sqlite: permission denied (EACCES)');
  });

  it('SNAPFLOW_DB under /proc (Node 20 recursive mkdir spins there for ever)', async () => {
    const s = await startService(tempDir(), { SNAPFLOW_DB: 'sqlite:/proc/snapflow/db.sqlite' });
    await expectOneClearLine(s, 'SNAPFLOW_DB=sqlite:/proc/snapflow/db.sqlite: cannot create the directory /proc/snapflow');
  });

  it('a regular file where a directory should be (SNAPFLOW_DB, SNAPFLOW_DATA_DIR)', async () => {
    const dir = tempDir();
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const db = await startService(dir, { SNAPFLOW_DB: `sqlite:${file}/jobs.sqlite` });
    await expectOneClearLine(db, `SNAPFLOW_DB=sqlite:${file}/jobs.sqlite: ${file} is not a directory`);
    const data = await startService(dir, { SNAPFLOW_DATA_DIR: join(file, 'data') });
    await expectOneClearLine(data, `SNAPFLOW_DATA_DIR=${join(file, 'data')}: ${file} (on the way to ${join(file, 'data')}) is not a directory`);
  });

  it('a SNAPFLOW_SCHEDULES_DIR that does not exist', async () => {
    const dir = tempDir();
    const missing = join(dir, 'no-such-schedules');
    const s = await startService(dir, { SNAPFLOW_SCHEDULES_DIR: missing });
    await expectOneClearLine(s, `SNAPFLOW_SCHEDULES_DIR=${missing}: no such directory ${missing}`);
  });

  it('a garbled clouds.yaml: the line where the fault is, not the end of the file', async () => {
    const dir = tempDir();
    const lines = [
      'clouds:',
      '  a:',
      '    auth:',
      '      auth_url: http://127.0.0.1:9/v3',
      '      password: "never-closed-secret',
      '  b:',
      '    auth:',
      '      auth_url: http://127.0.0.1:9/v3',
      '',
    ];
    writeFileSync(join(dir, 'clouds.yaml'), lines.join('\n'));
    const s = await startService(dir);
    const line = await expectOneClearLine(s, `${join(dir, 'clouds.yaml')}:5:17: YAML syntax error (a double quote opened here is never closed)`);
    expect(line).not.toContain('never-closed-secret');
  });

  it('an enabled schedule naming a cloud that is not configured (point 7: a typo in the schedule)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'schedules'));
    writeFileSync(join(dir, 'schedules', 'db.yaml'), 'name: db-weekly\ncron: "30 2 * * SUN"\ntarget: {cloud: prdo, servers: [db-1]}\n');
    const s = await startService(dir, { SNAPFLOW_SCHEDULES_DIR: join(dir, 'schedules') });
    await expectOneClearLine(
      s,
      `${join(dir, 'schedules', 'db.yaml')}: schedule "db-weekly": target.cloud: unknown cloud "prdo" (configured clouds: sim, sim-dest`,
    );
  });
});

describe('broken cloud entries: the service keeps serving', { timeout: 120_000 }, () => {
  let sim: SimHandle | undefined;
  afterAll(async () => sim?.close());

  it('reports each unusable cloud once at start and in /healthz, refuses its jobs with a 400, runs the rest', async () => {
    sim = await startSimulator();
    sim.state.addServer({ name: 'web' });
    const dir = tempDir();
    const pw = 'url-password-never-echoed';
    const auth = (extra: string[]) => [
      '    auth:',
      ...extra.map((l) => `      ${l}`),
      '      username: admin',
      '      project_name: admin',
      '      user_domain_id: default',
      '      project_domain_id: default',
    ];
    const cloudsFile = join(dir, 'clouds.yaml');
    writeFileSync(
      cloudsFile,
      [
        'clouds:',
        '  good:',
        ...auth([`auth_url: ${sim.authUrl}`, 'password: admin-secret']),
        '  typo:',
        ...auth([`auth_url: ${sim.authUrl}`, 'pasword: admin-secret']),
        '  nourl:',
        ...auth(['password: admin-secret']),
        '  notaurl:',
        ...auth(['auth_url: keystone:5000/v3', 'password: admin-secret']),
        '  inurl:',
        ...auth([`auth_url: ${sim.authUrl.replace('://', `://admin:${pw}@`)}`, 'password: admin-secret']),
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir, 'schedules'));
    const yearly = 'cron: "0 0 29 2 *"';
    writeFileSync(join(dir, 'schedules', 'broken.yaml'), `name: on-typo\n${yearly}\ntarget: {cloud: typo, servers: [web]}\n`);
    writeFileSync(join(dir, 'schedules', 'good.yaml'), `name: on-good\n${yearly}\ntarget: {cloud: good, servers: [web]}\n`);
    writeFileSync(join(dir, 'snapflow.yaml'), 'schedules: {graceWindow: 0}\n');
    // a job table left by an earlier version, world-readable
    writeFileSync(join(dir, 'jobs.sqlite'), '');
    chmodSync(join(dir, 'jobs.sqlite'), 0o644);
    const token = 'config-errors-admin-token-0123456789';
    const s = await startService(dir, {
      OS_CLIENT_CONFIG_FILE: cloudsFile,
      SNAPFLOW_SCHEDULES_DIR: join(dir, 'schedules'),
      SNAPFLOW_TOKENS: JSON.stringify([{ name: 'ops', secret: token, scopes: ['admin'], targets: ['**'] }]),
    });

    const h = await health(s);
    expect(h.status).toBe('degraded');
    const problem = (name: string, what: string) => `${cloudsFile}: clouds.${name}.auth.${what}`;
    expect(h.clouds).toEqual([
      { name: 'good', ok: true },
      { name: 'typo', ok: false, message: `unusable: ${problem('typo', 'pasword: unknown key (did you mean auth.password?)')}` },
      { name: 'nourl', ok: false, message: `unusable: ${problem('nourl', 'auth_url: is missing')}` },
      { name: 'notaurl', ok: false, message: `unusable: ${problem('notaurl', 'auth_url: must be an http(s) URL')}` },
      {
        name: 'inurl',
        ok: false,
        message: `unusable: ${problem('inurl', 'auth_url: must not contain a user name or password (user:password@); use auth.username and auth.password')}`,
      },
    ]);

    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${s.port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          error?: { code: string; field?: string; message: string; details?: { errors: { message: string }[] } };
          jobs?: unknown[];
          errors?: unknown[];
        },
      };
    };
    const refused = await api('POST', '/v1/jobs', { kind: 'snapshot', cloud: 'typo', server: 'web' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'cloud_unusable', field: 'cloud' });
    expect(refused.body.error!.message).toContain(problem('typo', 'pasword: unknown key'));

    const run = await api('POST', '/v1/schedules/on-typo/run');
    expect(run.status).toBe(422);
    expect(run.body.error).toMatchObject({ code: 'schedule_run_failed', field: 'name' });
    expect(run.body.error!.details!.errors[0]!.message).toContain('cloud "typo" is unusable');
    const good = await api('POST', '/v1/schedules/on-good/run');
    expect(good.status).toBe(202);
    expect(good.body).toMatchObject({ jobs: [expect.objectContaining({ server: 'web', created: true })], errors: [] });

    expect((await health(s)).clouds[0]).toEqual({ name: 'good', ok: true });
    const lines = logLines(s);
    for (const name of ['typo', 'nourl', 'notaurl', 'inurl']) {
      expect(
        lines.filter((l) => l.level === 50 && l.msg.startsWith(`cloud "${name}" is unusable, its jobs are refused: ${cloudsFile}: clouds.${name}.auth.`)),
      ).toHaveLength(1);
    }
    expect(lines.filter((l) => l.level === 40 && l.msg.includes('schedule "on-typo": target.cloud: cloud "typo" is unusable'))).toHaveLength(1);
    expect(s.output()).not.toMatch(/unhandled|uncaught|NonRetryableError/i);
    expect(s.output()).not.toMatch(STACK_FRAME);
    expect(s.output()).not.toContain(pw);
    expect(statSync(join(dir, 'jobs.sqlite')).mode & 0o777).toBe(0o600);
    expect(await stop(s)).toEqual({ code: 0, signal: null });
  });
});
