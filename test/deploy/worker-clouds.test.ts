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

  it('names every problem by key path and never quotes a value', () => {
    const bad = {
      prod: { ...entry, compute_endpoint_override: 'not a url' },
      lab: { auth: { auth_url: 'https://k.example/v3', username: 'u', password: SECRET } },
      worse: { auth: 'x' },
    };
    const { clouds, problems } = parseWorkerClouds(JSON.stringify(bad));
    expect(problems).toEqual([
      'SNAPFLOW_CLOUDS: prod.compute_endpoint_override: invalid url',
      'SNAPFLOW_CLOUDS: lab.auth.user_domain_name or auth.user_domain_id is missing',
      'SNAPFLOW_CLOUDS: worse.auth: expected object',
    ]);
    expect(clouds.names).toEqual([]);
    for (const raw of [JSON.stringify(bad), `{"prod": ${SECRET}`, `[${JSON.stringify(SECRET)}]`, 42]) {
      expect(JSON.stringify(parseWorkerClouds(raw).problems)).not.toContain(SECRET);
    }
    expect(parseWorkerClouds(`{"prod": ${SECRET}`).problems).toEqual([expect.stringMatching(/^SNAPFLOW_CLOUDS: not valid JSON/)]);
    expect(parseWorkerClouds(42).problems).toEqual(['SNAPFLOW_CLOUDS: must be a secret (a string holding JSON)']);
  });
});
