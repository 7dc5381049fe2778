// Start-up of the real Node entry (`npm start` = functions/node-main.ts) as a child process,
// from a temp working directory with no OpenStack configuration anywhere it could look.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpServices, exitOf, freePort, health, startService, stop, tempDir, until } from './node-entry';

afterAll(cleanUpServices);

describe('node-main start-up', () => {
  it('with no cloud configured: simulator mode, a 0600 admin token, a demo snapshot through the API, clean SIGTERM', async () => {
    const s = await startService(tempDir());
    const h = await health(s);
    expect(h).toMatchObject({ status: 'ok', mode: 'simulator' });
    expect(s.output()).toContain('BUILT-IN OPENSTACK SIMULATOR');

    const tokenFile = join(s.dir, 'data', 'admin-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(s.dir, 'data')).mode & 0o777).toBe(0o700);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(s.output()).not.toContain(token);
    const auth = { authorization: `Bearer ${token}` };

    const submit = await fetch(`http://127.0.0.1:${s.port}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'snapshot', cloud: 'sim', server: 'demo-web' }),
    });
    expect(submit.status).toBe(202);
    const { id } = (await submit.json()) as { id: string };
    const job = await until<{ state: string; result: Record<string, unknown> | null }>('the snapshot job', 60_000, async () => {
      const res = await fetch(`http://127.0.0.1:${s.port}/v1/jobs/${id}/wait?timeout=10`, { headers: auth });
      const j = (await res.json()) as { state: string; result: Record<string, unknown> | null };
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    });
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ imageId: expect.any(String) });
    // the job table (who asked for what, on which server) is readable by this user only
    for (const f of ['jobs.sqlite', 'jobs.sqlite-wal', 'jobs.sqlite-shm']) expect([f, statSync(join(s.dir, f)).mode & 0o777]).toEqual([f, 0o600]);

    expect(await stop(s)).toEqual({ code: 0, signal: null });
  });

  it('an invalid configuration file stops start-up naming the file and the field', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad-config.yaml');
    writeFileSync(file, 'limits:\n  snapshotsPerProject: 0\n');
    const s = await startService(dir, { SNAPFLOW_CONFIG: file });
    const exit = await exitOf(s);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(s.output()).toContain('invalid configuration');
    expect(s.output()).toMatch(/bad-config\.yaml: limits\.snapshotsPerProject/);
  });

  it('SNAPFLOW_TIME_SCALE outside (0, 1] stops start-up naming the variable', async () => {
    const s = await startService(tempDir(), { SNAPFLOW_TIME_SCALE: '2' });
    const exit = await Promise.race([s.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running:\n${s.output()}`)), 20_000))]);
    expect(exit.code).toBe(78);
    expect(s.output()).toContain('SNAPFLOW_TIME_SCALE: must be a number greater than 0 and at most 1');
  });

  it('a configured but unreachable cloud: cloud mode (not the simulator), an error naming it, /healthz degraded', async () => {
    const dir = tempDir();
    const closed = await freePort();
    writeFileSync(
      join(dir, 'clouds.yaml'),
      [
        'clouds:',
        '  faraway:',
        '    auth:',
        `      auth_url: http://127.0.0.1:${closed}/v3`,
        '      username: nobody',
        '      password: not-a-real-password',
        '      project_name: p',
        '      user_domain_name: Default',
        '      project_domain_name: Default',
        '    region_name: RegionOne',
        '',
      ].join('\n'),
    );
    const s = await startService(dir);
    const h = await health(s);
    expect(h.mode).toBe('cloud');
    expect(h.status).toBe('degraded');
    expect(h.clouds).toEqual([expect.objectContaining({ name: 'faraway', ok: false })]);
    await until('the start-up error', 15_000, async () => (s.output().includes('cloud \\"faraway\\" is configured but unreachable') ? true : undefined));
    expect(s.output()).not.toContain('SIMULATOR');
    expect(s.output()).not.toContain('not-a-real-password');
    expect(await stop(s)).toEqual({ code: 0, signal: null });
  });
});
