import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/auth/hash';
import { authenticate } from '../../shared/auth/tokens';
import { buildConfig, ConfigError, configFromEnv, DEFAULT_DATABASE_URL } from '../../shared/config/load';
import { loadConfigNode } from '../../shared/config/load-node';
import { redact } from '../../shared/config/redact';

const CI_SECRET = 'ci-secret-value-0123456789';
const HOOK_SECRET = 'gitlab-hook-secret-xyz';
const SLACK = 'https://hooks.slack.example/services/T000/B000/XXXXSECRETXXXX';

async function problems(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('buildConfig', () => {
  it('has defaults for everything', async () => {
    const c = await buildConfig({ env: {} });
    expect(c).toEqual({
      listen: { host: '0.0.0.0', port: 8080 },
      database: { url: DEFAULT_DATABASE_URL },
      deadlines: { snapshotWaitMs: 7_200_000, serverWaitMs: 1_800_000 },
      images: { namePattern: '{server}-snap-{YYYYMMDD-HHmmss}' },
      hooks: {},
      notifications: [],
      tokens: [],
      webhooks: [],
      limits: { snapshotsPerProject: 2 },
      schedules: { graceMs: 3_600_000 },
      runner: { leaseMs: 60_000, maxAttempts: 3 },
    });
  });

  it('reads a full file and resolves secrets from the environment', async () => {
    const opsHash = await sha256Hex('ops-token-value-abcdef');
    const c = await buildConfig({
      source: 'snapflow.yaml',
      file: {
        listen: { host: '127.0.0.1', port: 9000 },
        database: { url: 'postgres://snap:pw@db.local/snapflow' },
        deadlines: { snapshotWait: '3h', serverWait: '1h30m' },
        images: { namePattern: '{cloud}-{server}-{YYYYMMDD}' },
        hooks: { postSnapshot: { url: 'http://127.0.0.1:9999/resync', timeout: '10s' } },
        notifications: [{ name: 'ops', urlEnv: 'SLACK_URL', on: ['failure', 'success'] }],
        tokens: [
          { name: 'ci', secretEnv: 'SNAPFLOW_TOKEN_CI', scopes: ['submit', 'read'], targets: ['prod/*/ci-*'] },
          { name: 'ops', hash: `sha256:${opsHash.toUpperCase()}`, scopes: ['admin'], targets: ['*'] },
        ],
        webhooks: [{ name: 'gitlab', provider: 'gitlab', secretEnv: 'HOOK_SECRET', targets: ['prod/**'] }],
        limits: { snapshotsPerProject: 4 },
        schedules: { graceWindow: '30m' },
        runner: { leaseTtl: '2m', maxAttempts: 5 },
      },
      env: { SNAPFLOW_TOKEN_CI: CI_SECRET, HOOK_SECRET, SLACK_URL: SLACK },
    });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(c.deadlines).toEqual({ snapshotWaitMs: 10_800_000, serverWaitMs: 5_400_000 });
    expect(c.hooks.postSnapshot).toEqual({ url: 'http://127.0.0.1:9999/resync', timeoutMs: 10_000 });
    expect(c.notifications).toEqual([{ name: 'ops', url: SLACK, on: ['failure', 'success'] }]);
    expect(c.webhooks).toEqual([
      { name: 'gitlab', provider: 'gitlab', secret: HOOK_SECRET, targets: ['prod/**'], replayWindowMs: 300_000, rules: [], where: 'snapflow.yaml: webhooks.0' },
    ]);
    expect(c.limits.snapshotsPerProject).toBe(4);
    expect(c.schedules.graceMs).toBe(1_800_000);
    expect(c.runner).toEqual({ leaseMs: 120_000, maxAttempts: 5 });
    // tokens are kept only as hashes, and authenticate
    expect(c.tokens.map((t) => t.name)).toEqual(['ci', 'ops']);
    expect(c.tokens[0]!.sha256).toBe(await sha256Hex(CI_SECRET));
    expect(c.tokens[1]!.sha256).toBe(opsHash);
    expect(JSON.stringify(c.tokens)).not.toContain(CI_SECRET);
    expect((await authenticate(c.tokens, CI_SECRET))?.scopes).toEqual(['submit', 'read']);
    expect((await authenticate(c.tokens, 'ops-token-value-abcdef'))?.name).toBe('ops');
  });

  it('lets the environment override port, host and database, and add tokens', async () => {
    const c = await buildConfig({
      file: { listen: { port: 9000 } },
      env: {
        SNAPFLOW_PORT: '8181',
        SNAPFLOW_HOST: '::1',
        SNAPFLOW_DB: 'postgres://u:p@127.0.0.1:5432/snap',
        SNAPFLOW_TOKENS: JSON.stringify([{ name: 'runner', secret: 'runner-secret-0123456789', scopes: ['runner'] }]),
      },
    });
    expect(c.listen).toEqual({ host: '::1', port: 8181 });
    expect(c.database.url).toBe('postgres://u:p@127.0.0.1:5432/snap');
    expect(c.tokens).toEqual([{ name: 'runner', sha256: await sha256Hex('runner-secret-0123456789'), scopes: ['runner'], targets: [] }]);
  });

  it.each([
    [{ tokens: [{ name: 'ci', secretEnv: 'X_TOKEN', scopes: ['read', 'write'] }] }, 'snapflow.yaml: tokens.0.scopes.1: Invalid option'],
    [{ tokens: [{ name: 'ci', scopes: ['read'] }] }, 'snapflow.yaml: tokens.0: needs exactly one of hash, secretEnv'],
    [{ tokens: [{ name: 'ci', hash: 'sha256:abc', scopes: ['read'] }] }, 'snapflow.yaml: tokens.0.hash: must be sha256:<64 hex digits>'],
    [{ tokens: [{ name: 'ci', secret: 'plaintext-in-file', scopes: ['read'] }] }, 'snapflow.yaml: tokens.0: Unrecognized key: "secret"'],
    [{ tokens: [{ name: 'ci', secretEnv: 'lower', scopes: ['read'] }] }, 'snapflow.yaml: tokens.0.secretEnv: must be an environment variable name'],
    [{ tokens: [{ name: 'ci', secretEnv: 'X', scopes: ['read'], targets: ['prod//x'] }] }, 'snapflow.yaml: tokens.0.targets.0: has an empty segment'],
    [{ listen: { port: 70000 } }, 'snapflow.yaml: listen.port:'],
    [{ listen: { prot: 1 } }, 'snapflow.yaml: listen: Unrecognized key: "prot"'],
    [{ database: { url: 'mysql://x' } }, 'snapflow.yaml: database.url: must be sqlite:<path>, postgres://… or d1:<binding>'],
    [{ deadlines: { snapshotWait: 'two hours' } }, 'snapflow.yaml: deadlines.snapshotWait: invalid duration'],
    [{ images: { namePattern: '{server}' } }, 'snapflow.yaml: images.namePattern: needs a date placeholder'],
    [{ hooks: { postSnapshot: { url: 'ftp://x/y' } } }, 'snapflow.yaml: hooks.postSnapshot.url: must be an http(s) URL'],
    [{ notifications: [{ name: 'n' }] }, 'snapflow.yaml: notifications.0: needs exactly one of url, urlEnv'],
    [{ webhooks: [{ name: 'w', provider: 'bitbucket', secretEnv: 'S' }] }, 'snapflow.yaml: webhooks.0.provider: Invalid option'],
    [{ limits: { snapshotsPerProject: 0 } }, 'snapflow.yaml: limits.snapshotsPerProject:'],
    [{ schedules: { graceWindow: -1 } }, 'snapflow.yaml: schedules.graceWindow:'],
    [{ runner: { leaseTtl: '1s' } }, 'snapflow.yaml: runner.leaseTtl: must be at least 3s'],
    [{ runner: { maxAttempts: 0 } }, 'snapflow.yaml: runner.maxAttempts:'],
    [{ unknownTopLevel: true }, 'snapflow.yaml: Unrecognized key: "unknownTopLevel"'],
  ])('names the file and field path: %j', async (file, message) => {
    const list = await problems(buildConfig({ file, source: 'snapflow.yaml', env: {} }));
    expect(
      list.some((p) => p.startsWith(message)),
      list.join('\n'),
    ).toBe(true);
  });

  it('reports missing secret variables by name, never by value', async () => {
    const list = await problems(
      buildConfig({
        source: 'snapflow.yaml',
        file: {
          tokens: [{ name: 'ci', secretEnv: 'SNAPFLOW_TOKEN_CI', scopes: ['read'] }],
          webhooks: [{ name: 'gh', provider: 'github', secretEnv: 'GH_SECRET' }],
          notifications: [{ name: 'ops', urlEnv: 'SLACK_URL' }],
        },
        env: { SLACK_URL: 'not-a-url-SECRETPART' },
      }),
    );
    expect(list).toEqual([
      'snapflow.yaml: tokens.0.secretEnv: environment variable SNAPFLOW_TOKEN_CI is not set',
      'snapflow.yaml: webhooks.0.secretEnv: environment variable GH_SECRET is not set',
      'snapflow.yaml: notifications.0.urlEnv: SLACK_URL must hold an http(s) URL',
    ]);
    expect(list.join('\n')).not.toContain('SECRETPART');
  });

  it('rejects duplicate token names and shared secrets', async () => {
    const list = await problems(
      buildConfig({
        source: 'f.yaml',
        file: {
          tokens: [
            { name: 'a', secretEnv: 'T1', scopes: ['read'] },
            { name: 'a', secretEnv: 'T2', scopes: ['read'] },
            { name: 'b', secretEnv: 'T1', scopes: ['read'] },
          ],
        },
        env: { T1: 'one-one-one-one-one', T2: 'two-two-two-two-two' },
      }),
    );
    expect(list).toEqual(['f.yaml: tokens.1.name: duplicate token name "a"', 'f.yaml: tokens.2: same secret as another token']);
  });

  it('validates environment values without echoing them', async () => {
    const bad = 'postgres-ish://user:hunter2@x';
    const list = await problems(
      buildConfig({
        env: {
          SNAPFLOW_PORT: 'eighty',
          SNAPFLOW_DB: bad,
          SNAPFLOW_TOKENS: '[{"name":"x","secret":"hunter2hunter2hunter2"',
        },
      }),
    );
    expect(list).toEqual([
      'env SNAPFLOW_PORT: must be a port number (1-65535)',
      'env SNAPFLOW_DB: must be sqlite:<path>, postgres://… or d1:<binding>',
      'env SNAPFLOW_TOKENS: not valid JSON (expected an array of token objects)',
    ]);
    expect(list.join('\n')).not.toContain('hunter2');
    const schemaErr = await problems(
      buildConfig({ env: { SNAPFLOW_TOKENS: JSON.stringify([{ name: 'x', secret: 'hunter2hunter2hunter2', scopes: ['root'] }]) } }),
    );
    expect(schemaErr).toEqual(['env SNAPFLOW_TOKENS: 0.scopes.0: Invalid option: expected one of "read"|"submit"|"admin"|"runner"']);
  });
});

describe('redact', () => {
  it('hides secrets, hashes, secret-bearing URLs and database passwords', async () => {
    const c = await buildConfig({
      file: {
        database: { url: 'postgres://snap:dbpass123@db.local:5432/snapflow?sslmode=require&password=dbpass123' },
        hooks: { postSnapshot: { url: 'https://resync.example/hook?key=abc123' } },
        notifications: [{ name: 'ops', urlEnv: 'SLACK_URL' }],
        tokens: [{ name: 'ci', secretEnv: 'SNAPFLOW_TOKEN_CI', scopes: ['read'], targets: ['*'] }],
        webhooks: [{ name: 'gl', provider: 'gitlab', secretEnv: 'HOOK_SECRET' }],
      },
      env: { SNAPFLOW_TOKEN_CI: CI_SECRET, HOOK_SECRET, SLACK_URL: SLACK },
    });
    const r = redact(c);
    const text = JSON.stringify(r);
    for (const secret of [CI_SECRET, HOOK_SECRET, 'XXXXSECRETXXXX', 'dbpass123', 'abc123', c.tokens[0]!.sha256]) {
      expect(text).not.toContain(secret);
    }
    expect(r.database.url).toBe('postgres://snap:***@db.local:5432/snapflow?sslmode=require&password=***');
    expect(r.notifications[0]!.url).toBe('https://hooks.slack.example/…');
    expect(r.tokens[0]).toEqual({ name: 'ci', sha256: '[redacted]', scopes: ['read'], targets: ['*'] });
    expect(r.webhooks[0]!.secret).toBe('[redacted]');
    // the rest is still there for the log
    expect(r.listen).toEqual(c.listen);
    expect(r.deadlines).toEqual(c.deadlines);
  });

  it('leaves a sqlite URL alone', async () => {
    expect(redact(await buildConfig({ env: {} })).database.url).toBe(DEFAULT_DATABASE_URL);
  });
});

describe('configFromEnv (Workers)', () => {
  it('reads SNAPFLOW_CONFIG_JSON and ignores non-string bindings', async () => {
    const c = await configFromEnv({
      SNAPFLOW_CONFIG_JSON: JSON.stringify({ limits: { snapshotsPerProject: 5 }, database: { url: 'd1:DB' } }),
      DB: { prepare() {} },
      SNAPFLOW_PORT: '8787',
    });
    expect(c.limits.snapshotsPerProject).toBe(5);
    expect(c.database.url).toBe('d1:DB');
    expect(c.listen.port).toBe(8787);
    await expect(configFromEnv({ SNAPFLOW_CONFIG_JSON: '{"limits":' })).rejects.toThrow('SNAPFLOW_CONFIG_JSON: not valid JSON');
    await expect(configFromEnv({ SNAPFLOW_CONFIG_JSON: '{"limits":{"x":1}}' })).rejects.toThrow('SNAPFLOW_CONFIG_JSON: limits: Unrecognized key: "x"');
  });
});

describe('loadConfigNode', () => {
  let dir = '';
  const cwd = process.cwd();
  afterEach(() => {
    process.chdir(cwd);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the file named by SNAPFLOW_CONFIG (YAML or JSON)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-cfg-'));
    const yamlPath = join(dir, 'custom.yaml');
    writeFileSync(yamlPath, 'listen:\n  port: 9100\ntokens:\n  - name: ci\n    secretEnv: SNAPFLOW_TOKEN_CI\n    scopes: [read]\n');
    const c = await loadConfigNode({ SNAPFLOW_CONFIG: yamlPath, SNAPFLOW_TOKEN_CI: CI_SECRET });
    expect(c.listen.port).toBe(9100);
    const jsonPath = join(dir, 'c.json');
    writeFileSync(jsonPath, JSON.stringify({ limits: { snapshotsPerProject: 3 } }));
    expect((await loadConfigNode({ SNAPFLOW_CONFIG: jsonPath })).limits.snapshotsPerProject).toBe(3);
  });

  it('names the file in validation errors', async () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-cfg-'));
    const path = join(dir, 'snapflow.yaml');
    writeFileSync(path, 'tokens:\n  - name: ci\n    secretEnv: T\n    scopes: [read, writ]\n');
    await expect(loadConfigNode({ SNAPFLOW_CONFIG: path, T: 'x' })).rejects.toThrow(`${path}: tokens.0.scopes.1: Invalid option`);
  });

  it('uses ./snapflow.yaml when present and no file otherwise', async () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-cfg-'));
    process.chdir(dir);
    expect((await loadConfigNode({})).listen.port).toBe(8080);
    writeFileSync(join(dir, 'snapflow.yaml'), 'listen: {port: 9200}\n');
    expect((await loadConfigNode({})).listen.port).toBe(9200);
    writeFileSync(join(dir, 'snapflow.yaml'), 'listen: {port: nope}\n');
    await expect(loadConfigNode({})).rejects.toThrow('snapflow.yaml: listen.port: Invalid input: expected number, received string');
  });

  it('fails on a missing explicit file and on YAML syntax errors, without quoting the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-cfg-'));
    await expect(loadConfigNode({ SNAPFLOW_CONFIG: join(dir, 'nope.yaml') })).rejects.toThrow(/nope\.yaml: cannot read the configuration file \(ENOENT\)/);
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'tokens:\n  - name: ci\n   secret: "pasted-secret-value\n');
    const err = await loadConfigNode({ SNAPFLOW_CONFIG: path }).then(
      () => new Error('expected a failure'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/bad\.yaml:\d+:\d+: YAML syntax error/);
    expect(err.message).not.toContain('pasted-secret-value');
  });
});
