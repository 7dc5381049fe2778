// GitHub deliveries as its documentation shows them ("Webhook events and payloads":
// workflow_run, workflow_job; "Validating webhook deliveries" for X-Hub-Signature-256).
import { createHmac, randomUUID } from 'node:crypto';
import { type Delivery, hmac, json } from './payloads';

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
