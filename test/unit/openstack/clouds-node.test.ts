import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudConfigError, configSearchPath, listCloudNames, loadCloudConfig } from '../../../shared/openstack/clouds-node';

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
    writeFileSync(
      join(cwd, 'clouds.yaml'),
      cloudYaml('lab', '    compute_endpoint_override: http://127.0.0.1:8774/v2.1\n    compute_api_version: "2.90"\n'),
    );
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
    expect(e.message).toMatch(/not valid YAML/);

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
