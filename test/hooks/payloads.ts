// Deliveries shaped as the providers document them (GitLab "Webhook events": Pipeline and Job
// events; GitHub "Webhook events and payloads": workflow_run, workflow_job, and "Validating
// webhook deliveries" for X-Hub-Signature-256), with their headers, signed here with
// node:crypto: an implementation independent of the service's WebCrypto one.
import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

const json = (v: unknown) => JSON.stringify(v);
const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8').digest('hex');

const gitlabUser = { id: 7, name: 'CI Bot', username: 'ci-bot', avatar_url: 'https://gitlab.example.org/uploads/avatar.png', email: 'ci-bot@example.org' };

function gitlabProject(path: string) {
  const [ns = 'group', name = 'app'] = path.split('/');
  return {
    id: 4242,
    name,
    description: 'the app under test',
    web_url: `https://gitlab.example.org/${path}`,
    avatar_url: null,
    git_ssh_url: `git@gitlab.example.org:${path}.git`,
    git_http_url: `https://gitlab.example.org/${path}.git`,
    namespace: ns,
    visibility_level: 0,
    path_with_namespace: path,
    default_branch: 'main',
    ci_config_path: null,
  };
}

function gitlabBuild(id: number, stage: string, name: string, status: string) {
  return {
    id,
    stage,
    name,
    status,
    created_at: '2026-12-07 10:00:00 UTC',
    started_at: status === 'created' ? null : '2026-12-07 10:00:05 UTC',
    finished_at: null,
    duration: null,
    queued_duration: 2.1,
    failure_reason: null,
    when: 'on_success',
    manual: false,
    allow_failure: false,
    user: gitlabUser,
    runner: { id: 17, description: 'ci-runner-1', runner_type: 'project_type', active: true, is_shared: false, tags: ['linux'] },
    artifacts_file: { filename: null, size: null },
    environment: null,
  };
}

export interface GitlabPipelineOptions {
  token: string;
  id: number;
  status: string;
  project?: string;
  ref?: string;
  sha?: string;
  variables?: Array<{ key: string; value: string }>;
  uuid?: string;
}

/** X-Gitlab-Event: Pipeline Hook, as GitLab sends a pipeline status change. */
export function gitlabPipeline(o: GitlabPipelineOptions): Delivery {
  const project = o.project ?? 'ci/app';
  const sha = o.sha ?? 'bcbb5ec396a2c0f828686f14fac9b80b780504f2';
  const finished = ['success', 'failed', 'canceled', 'skipped'].includes(o.status);
  return {
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'GitLab/17.6.0',
      'X-Gitlab-Event': 'Pipeline Hook',
      'X-Gitlab-Token': o.token,
      'X-Gitlab-Event-UUID': o.uuid ?? randomUUID(),
      'X-Gitlab-Webhook-UUID': '2f6f2a47-5d7c-4b8e-9a3a-6f1c0b2d9e11',
      'X-Gitlab-Instance': 'https://gitlab.example.org',
    },
    body: json({
      object_kind: 'pipeline',
      object_attributes: {
        id: o.id,
        iid: o.id % 1000,
        name: `Pipeline for branch: ${o.ref ?? 'main'}`,
        ref: o.ref ?? 'main',
        tag: false,
        sha,
        before_sha: '0000000000000000000000000000000000000000',
        source: 'push',
        status: o.status,
        detailed_status: o.status,
        stages: ['build', 'test'],
        created_at: '2026-12-07 10:00:00 UTC',
        finished_at: finished ? '2026-12-07 10:05:00 UTC' : null,
        duration: finished ? 300 : null,
        queued_duration: 2,
        variables: o.variables ?? [],
        url: `https://gitlab.example.org/${project}/-/pipelines/${o.id}`,
      },
      merge_request: null,
      user: gitlabUser,
      project: gitlabProject(project),
      commit: {
        id: sha,
        message: 'Make the tests pass\n',
        title: 'Make the tests pass',
        timestamp: '2026-12-07T10:59:00+01:00',
        url: `https://gitlab.example.org/${project}/-/commit/${sha}`,
        author: { name: 'Dev', email: 'dev@example.org' },
      },
      builds: [
        gitlabBuild(o.id * 10 + 1, 'build', 'compile', finished ? 'success' : 'running'),
        gitlabBuild(o.id * 10 + 2, 'test', 'integration', finished ? o.status : 'created'),
      ],
    }),
  };
}

/** X-Gitlab-Event: Job Hook, as GitLab sends a job status change. */
export function gitlabJob(o: {
  token: string;
  pipelineId: number;
  buildId: number;
  name: string;
  status: string;
  project?: string;
  ref?: string;
  uuid?: string;
}): Delivery {
  const project = o.project ?? 'ci/app';
  const sha = '2293ada6b400935a1378653304eaf6221e0fdb8f';
  return {
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Job Hook', 'X-Gitlab-Token': o.token, 'X-Gitlab-Event-UUID': o.uuid ?? randomUUID() },
    body: json({
      object_kind: 'build',
      ref: o.ref ?? 'main',
      tag: false,
      before_sha: sha,
      sha,
      build_id: o.buildId,
      build_name: o.name,
      build_stage: 'test',
      build_status: o.status,
      build_created_at: '2026-12-07T10:00:00.000Z',
      build_created_at_iso: '2026-12-07T10:00:00Z',
      build_started_at: null,
      build_started_at_iso: null,
      build_finished_at: null,
      build_finished_at_iso: null,
      build_duration: null,
      build_queued_duration: 1.5,
      build_allow_failure: false,
      build_failure_reason: 'unknown_failure',
      retries_count: 0,
      pipeline_id: o.pipelineId,
      project_id: 4242,
      project_name: `Group / ${project.split('/')[1]}`,
      user: gitlabUser,
      commit: {
        id: o.pipelineId,
        name: null,
        sha,
        message: 'test\n',
        author_name: 'Dev',
        author_email: 'dev@example.org',
        status: 'running',
        duration: null,
        started_at: null,
        started_at_iso: null,
        finished_at: null,
        finished_at_iso: null,
      },
      repository: {
        name: 'app',
        description: '',
        homepage: `https://gitlab.example.org/${project}`,
        git_ssh_url: `git@gitlab.example.org:${project}.git`,
        git_http_url: `https://gitlab.example.org/${project}.git`,
        visibility_level: 0,
      },
      project: gitlabProject(project),
      runner: null,
      environment: null,
    }),
  };
}

function githubRepository(fullName: string) {
  const [owner = 'octo-org', name = 'app'] = fullName.split('/');
  const api = `https://api.github.com/repos/${fullName}`;
  return {
    id: 300029405,
    node_id: 'R_kgDOEeIvXQ',
    name,
    full_name: fullName,
    private: true,
    owner: {
      login: owner,
      id: 41548062,
      node_id: 'O_kgDOAnnGHg',
      avatar_url: 'https://avatars.githubusercontent.com/u/41548062?v=4',
      url: `https://api.github.com/users/${owner}`,
      html_url: `https://github.com/${owner}`,
      type: 'Organization',
      site_admin: false,
    },
    html_url: `https://github.com/${fullName}`,
    description: 'the app under test',
    fork: false,
    url: api,
    hooks_url: `${api}/hooks`,
    created_at: '2025-09-30T19:04:56Z',
    updated_at: '2026-12-05T16:32:10Z',
    pushed_at: '2026-12-07T09:58:07Z',
    default_branch: 'main',
    visibility: 'private',
  };
}

const githubSender = {
  login: 'dev',
  id: 15669918,
  node_id: 'U_kgDOAO8YXg',
  avatar_url: 'https://avatars.githubusercontent.com/u/15669918?v=4',
  type: 'User',
  site_admin: false,
};

function githubHeaders(secret: string, event: string, body: string, delivery?: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/7a3c2f1',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': delivery ?? randomUUID(),
    'X-GitHub-Hook-ID': '471928341',
    'X-GitHub-Hook-Installation-Target-Type': 'repository',
    'X-GitHub-Hook-Installation-Target-ID': '300029405',
    'X-Hub-Signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
    'X-Hub-Signature-256': `sha256=${hmac(secret, body)}`,
  };
}

export interface GithubRunOptions {
  secret: string;
  action: 'requested' | 'in_progress' | 'completed';
  runId: number;
  conclusion?: string | null;
  repo?: string;
  branch?: string;
  delivery?: string;
}

/** X-GitHub-Event: workflow_run. */
export function githubWorkflowRun(o: GithubRunOptions): Delivery {
  const repo = o.repo ?? 'octo-org/app';
  const sha = '3484a3fb816e0859fd6e1cea078d76385ff50625';
  const api = `https://api.github.com/repos/${repo}/actions/runs/${o.runId}`;
  const status = o.action === 'completed' ? 'completed' : o.action === 'requested' ? 'queued' : 'in_progress';
  const body = json({
    action: o.action,
    workflow: {
      id: 2823525,
      node_id: 'W_kwDOEeIvXc4AKxRl',
      name: 'ci',
      path: '.github/workflows/ci.yml',
      state: 'active',
      created_at: '2025-10-02T12:42:30.000Z',
      updated_at: '2026-10-03T19:24:48.000Z',
      url: `https://api.github.com/repos/${repo}/actions/workflows/2823525`,
      html_url: `https://github.com/${repo}/blob/main/.github/workflows/ci.yml`,
      badge_url: `https://github.com/${repo}/workflows/ci/badge.svg`,
    },
    workflow_run: {
      id: o.runId,
      name: 'ci',
      node_id: 'WFR_kwLOEeIvXc8AAAABEFkTsw',
      head_branch: o.branch ?? 'main',
      head_sha: sha,
      path: '.github/workflows/ci.yml',
      display_title: 'Make the tests pass',
      run_number: 163,
      event: 'push',
      status,
      conclusion: o.action === 'completed' ? (o.conclusion ?? 'success') : null,
      workflow_id: 2823525,
      check_suite_id: 1291536064,
      check_suite_node_id: 'CS_kwDOEeIvXc8AAAABM-Wf0A',
      url: api,
      html_url: `https://github.com/${repo}/actions/runs/${o.runId}`,
      pull_requests: [],
      created_at: '2026-12-07T10:00:00Z',
      updated_at: '2026-12-07T10:05:00Z',
      actor: githubSender,
      run_attempt: 1,
      referenced_workflows: [],
      run_started_at: '2026-12-07T10:00:00Z',
      triggering_actor: githubSender,
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      check_suite_url: `https://api.github.com/repos/${repo}/check-suites/1291536064`,
      artifacts_url: `${api}/artifacts`,
      cancel_url: `${api}/cancel`,
      rerun_url: `${api}/rerun`,
      previous_attempt_url: null,
      workflow_url: `https://api.github.com/repos/${repo}/actions/workflows/2823525`,
      head_commit: {
        id: sha,
        tree_id: 'c30f6c3377009c4c91c85d1f15deb6f2b7c2eb37',
        message: 'Make the tests pass',
        timestamp: '2026-12-07T09:58:07Z',
        author: { name: 'Dev', email: 'dev@example.org' },
        committer: { name: 'GitHub', email: 'noreply@github.com' },
      },
      repository: githubRepository(repo),
      head_repository: githubRepository(repo),
    },
    repository: githubRepository(repo),
    organization: {
      login: repo.split('/')[0],
      id: 41548062,
      node_id: 'O_kgDOAnnGHg',
      url: `https://api.github.com/orgs/${repo.split('/')[0]}`,
      description: '',
    },
    sender: githubSender,
  });
  return { headers: githubHeaders(o.secret, 'workflow_run', body, o.delivery), body };
}

/** X-GitHub-Event: workflow_job. */
export function githubWorkflowJob(o: {
  secret: string;
  action: 'queued' | 'in_progress' | 'completed';
  runId: number;
  jobId: number;
  name: string;
  conclusion?: string | null;
  repo?: string;
  delivery?: string;
}): Delivery {
  const repo = o.repo ?? 'octo-org/app';
  const sha = '3484a3fb816e0859fd6e1cea078d76385ff50625';
  const done = o.action === 'completed';
  const body = json({
    action: o.action,
    workflow_job: {
      id: o.jobId,
      run_id: o.runId,
      workflow_name: 'ci',
      head_branch: 'main',
      run_url: `https://api.github.com/repos/${repo}/actions/runs/${o.runId}`,
      run_attempt: 1,
      node_id: 'CR_kwDOEeIvXc8AAAAE',
      head_sha: sha,
      url: `https://api.github.com/repos/${repo}/actions/jobs/${o.jobId}`,
      html_url: `https://github.com/${repo}/actions/runs/${o.runId}/job/${o.jobId}`,
      status: o.action,
      conclusion: done ? (o.conclusion ?? 'success') : null,
      created_at: '2026-12-07T10:00:01Z',
      started_at: '2026-12-07T10:00:05Z',
      completed_at: done ? '2026-12-07T10:04:00Z' : null,
      name: o.name,
      steps: [
        { name: 'Set up job', status: 'completed', conclusion: 'success', number: 1, started_at: '2026-12-07T10:00:05Z', completed_at: '2026-12-07T10:00:07Z' },
      ],
      check_run_url: `https://api.github.com/repos/${repo}/check-runs/${o.jobId}`,
      labels: ['self-hosted', 'linux'],
      runner_id: o.action === 'queued' ? null : 5,
      runner_name: o.action === 'queued' ? null : 'ci-runner-5',
      runner_group_id: o.action === 'queued' ? null : 1,
      runner_group_name: o.action === 'queued' ? null : 'Default',
    },
    repository: githubRepository(repo),
    sender: githubSender,
  });
  return { headers: githubHeaders(o.secret, 'workflow_job', body, o.delivery), body };
}

/** GitHub's own test vector (docs: "Testing the webhook payload validation"). */
export const GITHUB_DOC_VECTOR = {
  secret: "It's a Secret to Everybody",
  payload: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

/** The generic hook: HMAC over "<timestamp>.<body>", as the README's curl lines sign it. */
export function generic(o: { secret: string; body: Record<string, unknown>; at?: number; delivery?: string }): Delivery {
  const body = json(o.body);
  const ts = String(Math.floor((o.at ?? Date.now()) / 1000));
  return {
    headers: {
      'Content-Type': 'application/json',
      'X-Snapflow-Timestamp': ts,
      'X-Snapflow-Delivery': o.delivery ?? randomUUID(),
      'X-Snapflow-Signature': `sha256=${hmac(o.secret, `${ts}.${body}`)}`,
    },
    body,
  };
}
