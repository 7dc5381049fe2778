import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudConfigError, configSearchPath, listCloudNames, loadAllClouds, loadCloudConfig } from '../../../shared/openstack/clouds-node';

const SECRET = 'hunter2-very-secret';
let root = '';
let cwd = '';
let home = '';
let systemDir = '';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'snapflow-clouds-'));
  cwd = join(root, 'cwd');
  home = join(root, 'home');
  systemDir = join(root, 'etc');
  mkdirSync(cwd);
  mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const cloudYaml = (name: string, extra = '') => `clouds:
  ${name}:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: ${SECRET}
      project_name: admin
      user_domain_id: default
      project_domain_id: default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
${extra}`;

function loadError(fn: () => unknown): CloudConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CloudConfigError);
    const e = err as CloudConfigError;
    expect(e.message).not.toContain(SECRET);
    expect(String(e.stack)).not.toContain(SECRET);
    return e;
  }
  throw new Error('expected a CloudConfigError');
}

describe('clouds.yaml search order', () => {
  it('OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack, /etc/openstack', () => {
    expect(configSearchPath('clouds', { env: { OS_CLIENT_CONFIG_FILE: 'x.yaml' }, cwd, home, systemDir })).toEqual([
      join(cwd, 'x.yaml'),
      join(cwd, 'clouds.yaml'),
      join(home, '.config/openstack/clouds.yaml'),
      join(root, 'etc/clouds.yaml'),
    ]);
  });

  it('prefers ./clouds.yaml over the home one, and the explicit file over both', () => {
    writeFileSync(join(home, '.config/openstack/clouds.yaml'), cloudYaml('home'));
    expect(listCloudNames({ env: {}, cwd, home, systemDir })).toEqual(['home']);
    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('local'));
    expect(listCloudNames({ env: {}, cwd, home, systemDir })).toEqual(['local']);
    writeFileSync(join(root, 'explicit.yaml'), cloudYaml('explicit'));
    expect(listCloudNames({ env: { OS_CLIENT_CONFIG_FILE: join(root, 'explicit.yaml') }, cwd, home, systemDir })).toEqual(['explicit']);
  });

  it('an explicit file that does not exist is an error naming the variable', () => {
    const e = loadError(() => loadCloudConfig('x', { env: { OS_CLIENT_CONFIG_FILE: join(root, 'nope.yaml') }, cwd, home, systemDir }));
    expect(e.message).toContain('OS_CLIENT_CONFIG_FILE');
    expect(e.message).toContain('nope.yaml');
  });
});

describe('loading one cloud', () => {
  it('loads OS_CLOUD with overrides and the microversion pin', () => {
    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('lab', '    compute_endpoint_override: http://127.0.0.1:8774/v2.1\n    compute_api_version: "2.90"\n'));
    const c = loadCloudConfig(undefined, { env: { OS_CLOUD: 'lab' }, cwd, home, systemDir });
    expect(c).toMatchObject({
      name: 'lab',
      region_name: 'RegionOne',
      interface: 'public',
      endpoint_overrides: { compute: 'http://127.0.0.1:8774/v2.1' },
      compute_api_version: '2.90',
      auth: { username: 'admin', password: SECRET, project_name: 'admin' },
    });
  });

  it('merges secure.yaml over clouds.yaml (deeply)', () => {
    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('lab').replace(`      password: ${SECRET}\n`, ''));
    writeFileSync(join(home, '.config/openstack/secure.yaml'), `clouds:\n  lab:\n    auth:\n      password: ${SECRET}\n`);
    const c = loadCloudConfig('lab', { env: {}, cwd, home, systemDir });
    expect(c.auth.password).toBe(SECRET);
    expect(c.auth.username).toBe('admin');
  });

  it('builds a cloud from plain OS_* variables (application credential)', () => {
    const c = loadCloudConfig(undefined, {
      env: {
        OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
        OS_AUTH_TYPE: 'v3applicationcredential',
        OS_APPLICATION_CREDENTIAL_ID: 'abc',
        OS_APPLICATION_CREDENTIAL_SECRET: SECRET,
        OS_REGION_NAME: 'RegionTwo',
        OS_INTERFACE: 'internal',
      },
      cwd,
      home,
      systemDir,
    });
    expect(c).toMatchObject({ name: 'envvars', auth_type: 'v3applicationcredential', region_name: 'RegionTwo', interface: 'internal' });
  });

  it('plain OS_* password variables with project and domains', () => {
    const c = loadCloudConfig(undefined, {
      env: {
        OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
        OS_USERNAME: 'u',
        OS_PASSWORD: SECRET,
        OS_PROJECT_ID: 'p1',
        OS_USER_DOMAIN_NAME: 'Default',
      },
      cwd,
      home,
      systemDir,
    });
    expect(c.auth).toMatchObject({ username: 'u', project_id: 'p1', user_domain_name: 'Default' });
  });

  it('errors name the file and the key, never the secret', () => {
    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('lab').replace('http://127.0.0.1:5000/v3', 'not a url'));
    let e = loadError(() => loadCloudConfig('lab', { env: {}, cwd, home, systemDir }));
    expect(e.message).toContain(join(cwd, 'clouds.yaml'));
    expect(e.message).toContain('clouds.lab.auth.auth_url');

    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('lab').replace('      username: admin\n', ''));
    e = loadError(() => loadCloudConfig('lab', { env: {}, cwd, home, systemDir }));
    expect(e.message).toContain('clouds.lab.auth.username or auth.user_id is missing');

    e = loadError(() => loadCloudConfig('other', { env: {}, cwd, home, systemDir }));
    expect(e.message).toContain('clouds.other is not defined');

    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('lab').replace('interface: public', 'interface: [public'));
    e = loadError(() => loadCloudConfig('lab', { env: {}, cwd, home, systemDir }));
    expect(e.message).toBe(`${join(cwd, 'clouds.yaml')}:11:16: YAML syntax error (a bracket opened here is never closed)`);

    writeFileSync(join(cwd, 'clouds.yaml'), cloudYaml('lab').replace('interface: public', 'interface: sideways'));
    e = loadError(() => loadCloudConfig('lab', { env: {}, cwd, home, systemDir }));
    expect(e.message).toContain('clouds.lab.interface');
  });

  it('a missing selection explains what to set', () => {
    const e = loadError(() => loadCloudConfig(undefined, { env: {}, cwd, home, systemDir }));
    expect(e.message).toContain('OS_CLOUD');
    const e2 = loadError(() => loadCloudConfig('lab', { env: {}, cwd: join(root, 'empty'), home: join(root, 'empty'), systemDir }));
    expect(e2.message).toContain('no clouds.yaml found');
  });
});

describe('loading every cloud (the service at start)', () => {
  const good = cloudYaml('good').replace('clouds:\n', '');
  const entry = (name: string, auth: string[]) => [`  ${name}:`, '    auth:', ...auth.map((l) => `      ${l}`), '    region_name: RegionOne', ''].join('\n');
  const complete = ['username: admin', 'project_name: admin', 'user_domain_id: default', 'project_domain_id: default'];

  it('one broken entry makes that cloud unusable, naming the file, the cloud and the key; the others load', () => {
    const file = join(cwd, 'clouds.yaml');
    writeFileSync(
      file,
      [
        'clouds:',
        good,
        entry('typo', ['auth_url: http://127.0.0.1:5000/v3', `pasword: ${SECRET}`, ...complete]),
        entry('nourl', [`password: ${SECRET}`, ...complete]),
        entry('notaurl', ['auth_url: keystone.example:5000/v3', `password: ${SECRET}`, ...complete]),
        entry('inurl', [`auth_url: http://admin:${SECRET}@127.0.0.1:5000/v3`, `password: ${SECRET}`, ...complete]),
        '  scalar: 42',
        '',
      ].join('\n'),
    );
    const set = loadAllClouds({ env: {}, cwd, home, systemDir });
    expect(set.file).toBe(file);
    expect(set.names).toEqual(['good', 'typo', 'nourl', 'notaurl', 'inurl', 'scalar']);
    expect([...set.clouds.keys()]).toEqual(['good']);
    expect(Object.fromEntries(set.unusable)).toEqual({
      typo: `${file}: clouds.typo.auth.pasword: unknown key (did you mean auth.password?)`,
      nourl: `${file}: clouds.nourl.auth.auth_url: is missing`,
      notaurl: `${file}: clouds.notaurl.auth.auth_url: must be an http(s) URL`,
      inurl: `${file}: clouds.inurl.auth.auth_url: must not contain a user name or password (user:password@); use auth.username and auth.password`,
      scalar: `${file}: clouds.scalar: expected a mapping of settings (auth, region_name, …)`,
    });
    expect(JSON.stringify([...set.unusable])).not.toContain(SECRET);
  });

  it('a garbled file is one error at the line at fault (an unclosed quote is reported where it opens)', () => {
    const file = join(cwd, 'clouds.yaml');
    const text = cloudYaml('lab').replace(`password: ${SECRET}`, `password: "${SECRET}`) + cloudYaml('other').replace('clouds:\n', '');
    writeFileSync(file, text);
    const e = loadError(() => loadAllClouds({ env: {}, cwd, home, systemDir }));
    expect(e.message).toBe(`${file}:6:17: YAML syntax error (a double quote opened here is never closed)`);
  });

  it('plain OS_* variables are the one cloud "envvars" when there is no clouds.yaml', () => {
    const set = loadAllClouds({ env: { OS_AUTH_URL: 'http://127.0.0.1:5000/v3', OS_TOKEN: SECRET, OS_AUTH_TYPE: 'token' }, cwd, home, systemDir });
    expect(set).toMatchObject({ file: undefined, names: ['envvars'] });
    expect(set.clouds.get('envvars')?.auth.token).toBe(SECRET);
    expect(loadAllClouds({ env: {}, cwd, home, systemDir }).names).toEqual([]);
  });

  it("reads keystoneauth's tenant_* and default_domain_* spellings", () => {
    writeFileSync(
      join(cwd, 'clouds.yaml'),
      [
        'clouds:',
        entry('legacy', ['auth_url: http://127.0.0.1:5000/v3', 'username: u', `password: ${SECRET}`, 'tenant_name: p', 'default_domain_name: Default']),
      ].join('\n'),
    );
    const set = loadAllClouds({ env: {}, cwd, home, systemDir });
    expect(set.unusable.size).toBe(0);
    expect(set.clouds.get('legacy')?.auth).toMatchObject({ project_name: 'p', user_domain_name: 'Default', project_domain_name: 'Default' });
  });
});
