// How `snapflow` fails: one line on stderr naming what is wrong, and the exit code for it —
// service unreachable, 401, 403, 404, 400 naming the field, a job kind the service does not
// have, usage errors — and where it finds the service and the token (flags over the
// environment over the config file), never printing the token.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, TOKENS as HTTP_TOKENS, startHarness } from '../http/harness';
import { type CliService, startCliService, TOKENS } from './cli-service';
import { type BuiltCli, buildCli, runCli } from './run-cli';

let cli: BuiltCli;
let svc: CliService;
let env: Record<string, string>;

beforeAll(async () => {
  [cli, svc] = await Promise.all([buildCli(), startCliService(['web', 'ci-a'])]);
  env = { SNAPFLOW_URL: svc.url, SNAPFLOW_TOKEN: svc.token, SNAPFLOW_CLOUD: 'sim' };
});
afterAll(async () => {
  await svc?.close();
  cli?.close();
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** stderr is exactly one line starting with "snapflow: ". */
const oneLine = (stderr: string) => {
  expect(stderr).toMatch(/^snapflow: [^\n]+\n$/);
  return stderr;
};

describe('errors', () => {
  it('service unreachable: exit 6, with the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(cli, ['snapshot', 'web', '--wait'], { env: { ...env, SNAPFLOW_URL: url } });
    expect(r.code).toBe(6);
    expect(oneLine(r.stderr)).toBe(`snapflow: cannot reach the snapflow service at ${url}: connection refused (set SNAPFLOW_URL or --url)\n`);
    expect(r.stdout).toBe('');
  });

  it('something that is not snapflow answering: exit 8', async () => {
    const notSnapflow = svc.hook.url.replace(/\/hook$/, '');
    const r = await runCli(cli, ['jobs'], { env: { ...env, SNAPFLOW_URL: notSnapflow } });
    expect(r.code).toBe(8);
    expect(oneLine(r.stderr)).toBe(`snapflow: unexpected reply from ${notSnapflow}/v1/jobs: HTTP 204 (not snapflow's API? check SNAPFLOW_URL)\n`);
  });

  it('401: exit 5, says where the token came from, never prints it', async () => {
    const bad = 'not-the-right-token-abcdef';
    const r = await runCli(cli, ['jobs'], { env: { ...env, SNAPFLOW_TOKEN: bad } });
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toBe('snapflow: not authenticated (401): unknown token; check the token from SNAPFLOW_TOKEN\n');
    const none = await runCli(cli, ['jobs', '--json'], { env: { SNAPFLOW_URL: svc.url } });
    expect(none.code).toBe(5);
    expect(oneLine(none.stderr)).toContain('missing bearer token; no token given: set SNAPFLOW_TOKEN');
    expect(JSON.parse(none.stdout)).toEqual({ error: { code: 'unauthorized', message: 'missing bearer token' } });
    expect(r.stdout + r.stderr).not.toContain(bad);
  });

  it('403: exit 5, naming the scope or the target the token may not touch', async () => {
    const scope = await runCli(cli, ['snapshot', 'web'], { env: { ...env, SNAPFLOW_TOKEN: TOKENS.reader } });
    expect(scope.code).toBe(5);
    expect(oneLine(scope.stderr)).toBe('snapflow: forbidden (403): token "reader" lacks the "submit" scope\n');
    const target = await runCli(cli, ['snapshot', 'web'], { env: { ...env, SNAPFLOW_TOKEN: TOKENS.ci } });
    expect(target.code).toBe(5);
    expect(oneLine(target.stderr)).toBe('snapflow: forbidden (403): token "ci" may not target sim/?/web\n');
    const allowed = await runCli(cli, ['snapshot', 'ci-a', '--wait'], { env: { ...env, SNAPFLOW_TOKEN: TOKENS.ci } });
    expect(allowed.code).toBe(0);
  });

  it('404: exit 7, with the name', async () => {
    const server = await runCli(cli, ['snapshot', 'no-such-vm'], { env });
    expect(server.code).toBe(7);
    expect(oneLine(server.stderr)).toBe('snapflow: not found (404 server_not_found): server: no server "no-such-vm" in cloud "sim"\n');
    const snaps = await runCli(cli, ['snapshots', 'no-such-vm'], { env });
    expect(snaps.code).toBe(7);
    expect(oneLine(snaps.stderr)).toBe('snapflow: not found (404 server_not_found): server: no server "no-such-vm" in cloud "sim"\n');
    const job = await runCli(cli, ['show', 'no-such-job'], { env });
    expect(job.code).toBe(7);
    expect(oneLine(job.stderr)).toBe('snapflow: not found (404 not_found): job "no-such-job" not found\n');
  });

  it('400: exit 7, naming the field; --json prints the envelope', async () => {
    const rule = await runCli(cli, ['prune', 'web'], { env });
    expect(rule.code).toBe(7);
    expect(oneLine(rule.stderr)).toBe('snapflow: invalid request (400 invalid_body): keep: needs keep and/or maxAgeDays\n');
    const cloud = await runCli(cli, ['snapshot', 'web', '--cloud', 'nowhere', '--json'], { env });
    expect(cloud.code).toBe(7);
    expect(oneLine(cloud.stderr)).toBe('snapflow: invalid request (400 unknown_cloud): cloud: "nowhere" is not a configured cloud\n');
    expect(JSON.parse(cloud.stdout)).toMatchObject({ error: { code: 'unknown_cloud', field: 'cloud' } });
    const prop = await runCli(cli, ['snapshot', 'web', '--property', 'snapflow_job=forged'], { env });
    expect(prop.code).toBe(7);
    expect(oneLine(prop.stderr)).toContain('properties: keys starting with snapflow_ are reserved');
  });

  it('usage errors exit 2: a bad option value, an unknown option, no cloud', async () => {
    const keep = await runCli(cli, ['prune', 'web', '--keep', 'seven'], { env });
    expect(keep.code).toBe(2);
    expect(keep.stderr).toContain("option '--keep <n>' argument 'seven' is invalid");
    expect((await runCli(cli, ['snapshot', 'web', '--kepp', '3'], { env })).code).toBe(2);
    const noCloud = await runCli(cli, ['snapshot', 'web'], { env: { SNAPFLOW_URL: svc.url, SNAPFLOW_TOKEN: svc.token } });
    expect(noCloud.code).toBe(2);
    expect(oneLine(noCloud.stderr)).toContain('no cloud: pass --cloud, set SNAPFLOW_CLOUD');
    const help = await runCli(cli, ['--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok / job succeeded, 1 job failed');
  });
});

describe('kinds the service does not have yet, and the contract of the ones it has', () => {
  let h: Harness;
  let server: ReturnType<typeof serve> | undefined;
  let url = '';
  beforeAll(async () => {
    // the HTTP harness deploys snapshot, rollback and move only
    h = await startHarness();
    url = await new Promise<string>((resolve) => {
      server = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
  });
  afterAll(async () => {
    (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await h?.close();
  });

  it('a kind the service lacks: exit 7, naming the kind', async () => {
    const r = await runCli(cli, ['clone', 'web', '--new-name', 'web-test', '--cloud', 'prod'], {
      env: { SNAPFLOW_URL: url, SNAPFLOW_TOKEN: HTTP_TOKENS.admin },
    });
    expect(r.code).toBe(7);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^snapflow: job kind "clone" is not available on the service at ${url} \\(400 `));
  });

  it('move sends the v1 fields (to.cloud, keepHostname, confirm) and waits', async () => {
    const r = await runCli(cli, ['move', 'web', '--cloud', 'prod', '--to-cloud', 'lab', '--keep-hostname', '--yes', '--wait', '--json'], {
      env: { SNAPFLOW_URL: url, SNAPFLOW_TOKEN: HTTP_TOKENS.admin },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'move',
      state: 'succeeded',
      params: { cloud: 'prod', server: 'web', to: { cloud: 'lab' }, keepHostname: true, confirm: true },
    });
  });
});

describe('connection settings', () => {
  it('the config file gives url, tokenFile and cloud; the environment overrides it; flags override both', async () => {
    const dir = join(cli.home, '.config', 'snapflow');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), `${svc.token}\n`);
    chmodSync(join(dir, 'token'), 0o600);
    writeFileSync(join(dir, 'cli.yaml'), `url: ${svc.url}\ntokenFile: token\ncloud: sim\n`);
    try {
      const fromFile = await runCli(cli, ['snapshots', 'web', '--json']);
      expect(fromFile.code).toBe(0);
      expect(JSON.parse(fromFile.stdout)).toHaveProperty('snapshots');

      const closed = `http://127.0.0.1:${await closedPort()}`;
      const envWins = await runCli(cli, ['snapshots', 'web'], { env: { SNAPFLOW_URL: closed } });
      expect(envWins.code).toBe(6);
      expect(envWins.stderr).toContain(closed);
      const flagWins = await runCli(cli, ['--url', svc.url, 'snapshots', 'web'], { env: { SNAPFLOW_URL: closed, SNAPFLOW_CLOUD: 'elsewhere' } });
      expect(flagWins.code).toBe(7);
      expect(flagWins.stderr).toContain('not a configured cloud');

      writeFileSync(join(dir, 'cli.yaml'), `url: ${svc.url}\ntoken: wrong-token-in-the-file\ntokenfile: token\n`);
      const typo = await runCli(cli, ['jobs']);
      expect(typo.code).toBe(2);
      expect(oneLine(typo.stderr)).toBe(`snapflow: ${join(dir, 'cli.yaml')}: tokenfile: unknown field (known: url, token, tokenFile, cloud)\n`);

      writeFileSync(join(dir, 'cli.yaml'), `url: ${svc.url}\ntoken: wrong-token-in-the-file\n`);
      const bad = await runCli(cli, ['jobs']);
      expect(bad.code).toBe(5);
      expect(bad.stderr).toContain(`check the token from ${join(dir, 'cli.yaml')}: token`);
      expect(bad.stdout + bad.stderr).not.toContain('wrong-token-in-the-file');
      const tokenFlag = await runCli(cli, ['--token-file', join(dir, 'token'), 'jobs', '--json']);
      expect(tokenFlag.code).toBe(0);
    } finally {
      writeFileSync(join(dir, 'cli.yaml'), '');
    }
  });
});
