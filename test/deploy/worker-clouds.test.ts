import { describe, expect, it } from 'vitest';
import { parseWorkerClouds } from '../../functions/worker-clouds';

const SECRET = 'app-cred-secret-must-not-leak';
const entry = {
  auth: { auth_url: 'https://keystone.example/v3', application_credential_id: 'ac-1', application_credential_secret: SECRET },
  region_name: 'RegionOne',
  compute_endpoint_override: 'https://nova.example/v2.1',
  compute_api_version: 2.79,
  profile: 'ignored-extra-key',
};

describe('parseWorkerClouds (SNAPFLOW_CLOUDS)', () => {
  it('reads clouds.yaml entries by name, with endpoint overrides and microversion', () => {
    const { clouds, problems } = parseWorkerClouds(JSON.stringify({ prod: entry }));
    expect(problems).toEqual([]);
    expect(clouds.names).toEqual(['prod']);
    expect(clouds.get('prod')).toMatchObject({
      name: 'prod',
      region_name: 'RegionOne',
      endpoint_overrides: { compute: 'https://nova.example/v2.1' },
      compute_api_version: '2.79',
    });
    expect(clouds.get('other')).toBeUndefined();
  });

  it('accepts a whole clouds.yaml converted to JSON', () => {
    expect(parseWorkerClouds(JSON.stringify({ clouds: { prod: entry } })).clouds.names).toEqual(['prod']);
  });

  it('unset or empty means no clouds', () => {
    expect(parseWorkerClouds(undefined)).toMatchObject({ problems: [], clouds: { names: [] } });
    expect(parseWorkerClouds('')).toMatchObject({ problems: [], clouds: { names: [] } });
  });

  it('a broken entry makes that cloud unusable (by key path, never quoting a value); the others load', () => {
    const bad = {
      prod: { ...entry, compute_endpoint_override: 'not a url' },
      lab: { auth: { auth_url: 'https://k.example/v3', username: 'u', password: SECRET } },
      worse: { auth: 'x' },
      typo: { auth: { ...entry.auth, application_credential_secre: SECRET } },
      inurl: { auth: { ...entry.auth, auth_url: `https://u:${SECRET}@k.example/v3` } },
      scalar: 7,
      good: entry,
    };
    const { clouds, problems } = parseWorkerClouds(JSON.stringify(bad));
    expect(problems).toEqual([]);
    expect(clouds.names).toEqual(['prod', 'lab', 'worse', 'typo', 'inurl', 'scalar', 'good']);
    expect(clouds.names.filter((n) => clouds.get(n))).toEqual(['good']);
    expect(Object.fromEntries(clouds.names.map((n) => [n, clouds.problem(n)]))).toEqual({
      prod: 'SNAPFLOW_CLOUDS: prod.compute_endpoint_override: must be an http(s) URL',
      lab: 'SNAPFLOW_CLOUDS: lab.auth.user_domain_name or auth.user_domain_id is missing',
      worse: 'SNAPFLOW_CLOUDS: worse.auth: expected object',
      typo: 'SNAPFLOW_CLOUDS: typo.auth.application_credential_secre: unknown key (did you mean auth.application_credential_secret?)',
      inurl: 'SNAPFLOW_CLOUDS: inurl.auth.auth_url: must not contain a user name or password (user:password@); use auth.username and auth.password',
      scalar: 'SNAPFLOW_CLOUDS: scalar: expected an object of settings (auth, region_name, …)',
      good: undefined,
    });
    expect(JSON.stringify(clouds.names.map((n) => clouds.problem(n)))).not.toContain(SECRET);
  });

  it('a binding that cannot be read at all is a problem of the deployment, never quoting it', () => {
    for (const raw of [`{"prod": ${SECRET}`, `[${JSON.stringify(SECRET)}]`, 42]) {
      const { clouds, problems } = parseWorkerClouds(raw);
      expect(problems.length).toBeGreaterThan(0);
      expect(clouds.names).toEqual([]);
      expect(JSON.stringify(problems)).not.toContain(SECRET);
    }
    expect(parseWorkerClouds(`{"prod": ${SECRET}`).problems).toEqual([expect.stringMatching(/^SNAPFLOW_CLOUDS: not valid JSON/)]);
    expect(parseWorkerClouds(42).problems).toEqual(['SNAPFLOW_CLOUDS: must be a secret (a string holding JSON)']);
  });
});
