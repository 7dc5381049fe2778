// The webhook configuration the hook tests run with: one hook per provider, each mapping a
// pipeline's start to a reference snapshot of one server and its end (whatever the status)
// to a rollback to that snapshot. The secrets come from the environment, as in production.

export const SECRETS = {
  gitlab: 'gitlab-hook-token-do-not-print-0123',
  github: 'github-hook-secret-do-not-print-4567',
  generic: 'generic-hook-secret-do-not-print-89',
};

export const HOOK_ENV: Record<string, string> = {
  HOOK_GITLAB_TOKEN: SECRETS.gitlab,
  HOOK_GITHUB_SECRET: SECRETS.github,
  HOOK_GENERIC_SECRET: SECRETS.generic,
};

/** A snapflow config file's `webhooks` for servers `server` of `cloud`. */
export function hookConfig(cloud: string, server: string) {
  const reference = (extra: Record<string, unknown> = {}) => ({ kind: 'snapshot', cloud, server, as: 'reference', ...extra });
  const restore = { kind: 'rollback', cloud, server, to: 'reference' };
  return {
    webhooks: [
      {
        name: 'ci-gitlab',
        provider: 'gitlab',
        secretEnv: 'HOOK_GITLAB_TOKEN',
        rules: [
          {
            id: 'reference',
            event: 'pipeline',
            project: 'ci/*',
            ref: ['main', 'release/*'],
            status: ['running'],
            job: reference({ name: 'ci-{pipeline_id}-{short_sha}', properties: { ci_project: '{project}', ci_ref: '{ref}' } }),
          },
          { id: 'restore', event: 'pipeline', project: 'ci/*', status: ['success', 'failed', 'canceled'], job: restore },
        ],
      },
      {
        name: 'ci-github',
        provider: 'github',
        secretEnv: 'HOOK_GITHUB_SECRET',
        rules: [
          { id: 'reference', event: 'workflow_run', project: 'octo-org/*', status: ['in_progress'], job: reference({ name: 'gh-{pipeline_id}' }) },
          { id: 'restore', event: 'workflow_run', project: 'octo-org/*', status: ['completed'], job: restore },
        ],
      },
      {
        name: 'ci-generic',
        provider: 'generic',
        secretEnv: 'HOOK_GENERIC_SECRET',
        replayWindow: '5m',
        rules: [{ id: 'before-deploy', event: 'deploy', status: ['started'], job: { kind: 'snapshot', cloud, server, name: 'deploy-{ref}' } }],
      },
    ],
  };
}

/**
 * A GitLab hook giving each pipeline of ci/* a fresh clone of `server` (`ci-<pipeline id>` in
 * `to`) when it starts, discarded when it ends whatever the status.
 */
export function cloneHookConfig(cloud: string, server: string, to: string) {
  return {
    webhooks: [
      {
        name: 'ci-clones',
        provider: 'gitlab',
        secretEnv: 'HOOK_GITLAB_TOKEN',
        rules: [
          {
            id: 'fresh-vm',
            event: 'pipeline',
            project: 'ci/*',
            status: ['running'],
            job: { kind: 'clone', cloud, server, as: 'run', newName: 'ci-{pipeline_id}', to: { cloud: to }, metadata: { ci_ref: '{ref}' } },
          },
          { id: 'cleanup', event: 'pipeline', project: 'ci/*', status: ['success', 'failed', 'canceled'], job: { kind: 'discard', clone: 'run' } },
        ],
      },
    ],
  };
}
