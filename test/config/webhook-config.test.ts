// The webhooks of the configuration file, validated at start: every mistake names the file
// and the field, and a secret never appears in a message.
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError } from '../../shared/config/load';
import { checkWebhookClouds } from '../../shared/config/webhook-clouds';
import { cloneHookConfig, HOOK_ENV, hookConfig } from '../hooks/hook-config';

async function problems(file: unknown, env: Record<string, string> = HOOK_ENV): Promise<string[]> {
  try {
    await buildConfig({ file, source: 'snapflow.yaml', env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** hookConfig with its GitLab hook's first rule changed by `patch`. */
function withRule(patch: (rule: Record<string, any>) => void) {
  const file = hookConfig('prod', 'web');
  patch(file.webhooks[0]!.rules[0] as Record<string, any>);
  return file;
}

describe('webhooks configuration', () => {
  it('accepts the hooks of every provider, with their secrets from the environment', async () => {
    const config = await buildConfig({ file: hookConfig('prod', 'web'), source: 'snapflow.yaml', env: HOOK_ENV });
    expect(config.webhooks.map((w) => [w.name, w.provider, w.rules.length])).toEqual([
      ['ci-gitlab', 'gitlab', 2],
      ['ci-github', 'github', 2],
      ['ci-generic', 'generic', 1],
    ]);
    expect(config.webhooks[2]?.replayWindowMs).toBe(5 * 60_000);
  });

  it('names the file and field of templates outside name and properties, or of fields not in the list', async () => {
    expect(await problems(withRule((r) => (r.job.server = 'web-{ref}')))).toContain(
      'snapflow.yaml: webhooks.0.rules.0.job.server: templates are allowed only in names and properties (name, newName, properties, metadata)',
    );
    const unknown = await problems(withRule((r) => (r.job.name = 'ci-{branch}')));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatch(/^snapflow\.yaml: webhooks\.0\.rules\.0\.job\.name: unknown template field \{branch\} \(fields: \{hook\}, /);
    expect(await problems(withRule((r) => (r.job.properties = { ci: '{ref' })))).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.job.properties.ci: unbalanced { or }',
    ]);
  });

  it('refuses events the provider never sends, GitLab conclusions, and a rollback to a reference no rule makes', async () => {
    expect(await problems(withRule((r) => (r.event = 'workflow_run')))).toEqual(['snapflow.yaml: webhooks.0.rules.0.event: gitlab events are pipeline, job']);
    expect(await problems(withRule((r) => (r.conclusion = ['success'])))).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.conclusion: GitLab has no conclusion: list the final statuses in status',
    ]);
    expect(await problems(withRule((r) => (r.job.as = 'golden')))).toEqual([
      'snapflow.yaml: webhooks.0.rules.1.job.to: no snapshot rule of this hook makes "reference" of prod/web (as: reference)',
    ]);
    expect(await problems(withRule((r) => (r.job = { kind: 'clone', cloud: 'prod', server: 'web' })))).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.job.newName: Invalid input: expected string, received undefined',
    ]);
  });

  it('a clone for the run: templates in newName and metadata only; a discard needs a clone rule of the hook making its label, of one server', async () => {
    const config = await buildConfig({ file: cloneHookConfig('prod', 'app', 'prod-ci'), source: 'snapflow.yaml', env: HOOK_ENV });
    expect(config.webhooks[0]?.rules.map((r) => r.job)).toEqual([
      expect.objectContaining({ kind: 'clone', newName: 'ci-{pipeline_id}', to: { cloud: 'prod-ci' }, metadata: { ci_ref: '{ref}' }, keepImages: false }),
      { kind: 'discard', clone: 'run' },
    ]);
    const cloneRule = (patch: (job: Record<string, any>) => void) => {
      const file = cloneHookConfig('prod', 'app', 'prod-ci');
      patch(file.webhooks[0]!.rules[0]!.job as Record<string, any>);
      return problems(file);
    };
    expect(await cloneRule((j) => (j.flavor = 'm1.{ref}'))).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.job.flavor: templates are allowed only in names and properties (name, newName, properties, metadata)',
    ]);
    expect(await cloneRule((j) => (j.newName = 'ci-{run}'))).toEqual([
      expect.stringMatching(/^snapflow\.yaml: webhooks\.0\.rules\.0\.job\.newName: unknown template field \{run\}/),
    ]);
    expect(await cloneRule((j) => (j.metadata = { snapflow_job: 'x' }))).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.job.metadata.snapflow_job: keys starting with snapflow_ are reserved',
    ]);
    expect(await cloneRule((j) => (j.deletePaths = ['etc/krb5.keytab']))).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.job.deletePaths.0: must be an absolute path without control characters',
    ]);
    expect(await cloneRule((j) => (j.as = 'other'))).toEqual(['snapflow.yaml: webhooks.0.rules.1.job.clone: no clone rule of this hook makes "run" (as: run)']);

    const twoSources = cloneHookConfig('prod', 'app', 'prod-ci');
    const rules = twoSources.webhooks[0]!.rules as Array<Record<string, any>>;
    rules.push({ ...rules[0], id: 'fresh-db', job: { ...rules[0]!.job, server: 'db' } });
    expect(await problems(twoSources)).toEqual([
      'snapflow.yaml: webhooks.0.rules.1.job.clone: the clone rules making "run" clone different servers (prod/app, prod/db): a discard needs one',
    ]);
  });

  it('names the secretEnv whose variable is unset, and refuses two hooks of a provider sharing a secret', async () => {
    const { HOOK_GITHUB_SECRET: _, ...env } = HOOK_ENV;
    expect(await problems(hookConfig('prod', 'web'), env)).toEqual(['snapflow.yaml: webhooks.1.secretEnv: environment variable HOOK_GITHUB_SECRET is not set']);
    const file = hookConfig('prod', 'web');
    file.webhooks.push({ ...file.webhooks[0]!, name: 'ci-gitlab-2' });
    const twin = await problems(file);
    expect(twin).toEqual(['snapflow.yaml: webhooks.3.secretEnv: same secret as the gitlab webhook "ci-gitlab" (a delivery could not tell them apart)']);
    expect(twin.join('\n')).not.toContain(HOOK_ENV.HOOK_GITLAB_TOKEN);
  });

  it('checks the clouds the rules name against the configured ones, as schedules are', async () => {
    const config = await buildConfig({ file: hookConfig('prod', 'web'), source: 'snapflow.yaml', env: HOOK_ENV });
    expect(checkWebhookClouds(config.webhooks, { names: ['prod'] })).toEqual({ problems: [], warnings: [] });
    const { problems: unknown } = checkWebhookClouds(config.webhooks, { names: ['staging'] });
    expect(unknown[0]).toBe('snapflow.yaml: webhooks.0.rules.0.job.cloud: unknown cloud "prod" (configured clouds: staging)');
    expect(unknown).toHaveLength(5);
    const clones = await buildConfig({ file: cloneHookConfig('prod', 'app', 'prod-ci'), source: 'snapflow.yaml', env: HOOK_ENV });
    expect(checkWebhookClouds(clones.webhooks, { names: ['prod', 'prod-ci'] }).problems).toEqual([]);
    expect(checkWebhookClouds(clones.webhooks, { names: ['prod'] }).problems).toEqual([
      'snapflow.yaml: webhooks.0.rules.0.job.to.cloud: unknown cloud "prod-ci" (configured clouds: prod)',
    ]);
    const broken = checkWebhookClouds(config.webhooks, { names: ['prod'], problem: () => 'auth.auth_url: invalid url' });
    expect(broken.problems).toEqual([]);
    expect(broken.warnings[0]).toBe(
      'snapflow.yaml: webhooks.0.rules.0.job.cloud: cloud "prod" is unusable, the jobs of webhook "ci-gitlab" will fail: auth.auth_url: invalid url',
    );
  });
});
