// GitLab deliveries as its documentation shows them ("Webhook events": Pipeline events and
// Job events), with the headers GitLab sends (X-Gitlab-Token: the hook's secret token).
import { randomUUID } from 'node:crypto';
import { type Delivery, json } from './payloads';

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
  idempotencyKey?: string;
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
      // kept by GitLab on every retry of this delivery
      'Idempotency-Key': o.idempotencyKey ?? randomUUID(),
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
