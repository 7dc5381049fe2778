// Real-cloud tier: a CI pipeline's webhooks against a real OpenStack, through the whole
// service stack. A GitLab "pipeline running" delivery snapshots a lab server; the same
// pipeline's "finished" delivery, sent before that snapshot is done, rolls the server back
// to exactly that image. Runs only when OS_CLOUD is set:
//   OS_CLIENT_CONFIG_FILE=/var/tmp/oslab/clouds.yaml OS_CLOUD=oslab npx vitest run --project lab test/lab/hooks.test.ts
// It creates its own server and deletes it and every image it made in afterAll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessService, type JobJson, startInProcessService } from '../../functions/in-process-service';
import type { OpenStackClient } from '../../shared/openstack/client';
import { serverImageId } from '../../shared/openstack/compute-schemas';
import { imageProperty } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { serverOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { Cleanup, contractName } from '../contract/helpers';
import { type ContractTarget, openTarget } from '../contract/target';
import { HOOK_ENV, hookConfig, SECRETS } from '../hooks/hook-config';
import { gitlabPipeline } from '../hooks/payloads-gitlab';

const CLOUD = process.env.OS_CLOUD ?? '';

describe.skipIf(!CLOUD)('lab: CI webhooks against a real cloud', () => {
  let target: ContractTarget;
  let os: OpenStackClient;
  let api: InProcessService;
  const cleanup = new Cleanup();
  const serverName = contractName('-hooks');
  let serverId = '';

  beforeAll(async () => {
    target = await openTarget();
    os = target.client();
    api = await startInProcessService({ cloudNames: [CLOUD], mode: 'cloud', configFile: hookConfig(CLOUD, serverName), configEnv: HOOK_ENV });
    const [base] = await os.image.listAll({ filters: { name: target.baseImageName } });
    ({ id: serverId } = await os.compute.createServer({ name: serverName, flavor: target.flavor, networks: 'none', imageRef: base!.id }));
    // LIFO: the server goes first, then every image snapflow tagged for it.
    cleanup.add('images of the server', async () => {
      for (const image of await os.image.listAll({ filters: { snapflow_server: serverId } })) {
        if (imageProperty(image, 'snapflow_server') === serverId) await orNull(os.image.delete(image.id));
      }
    });
    cleanup.add('server', async () => {
      await os.compute.deleteServer(serverId);
      await waitGone(`server ${serverId} delete`, () => os.compute.getServer(serverId), { timeoutMs: 170_000 });
    });
    await waitFor(
      'server ACTIVE',
      () => os.compute.getServer(serverId),
      (s) => serverOutcome(s, 'ACTIVE'),
      { timeoutMs: 170_000 },
    );
  });

  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      await api?.close();
      await target?.close();
    }
  });

  async function deliver(status: string, pipeline: number) {
    const d = gitlabPipeline({ token: SECRETS.gitlab, id: pipeline, status });
    const res = await api.service.app.request('/v1/hooks/gitlab', { method: 'POST', headers: d.headers, body: d.body });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobs: Array<{ id: string; kind: string }>; reason?: string };
    expect(body.jobs, body.reason).toHaveLength(1);
    return body.jobs[0]!;
  }

  async function ended(id: string): Promise<JobJson> {
    const job = await api.wait(id, 600_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    return job;
  }

  it('pipeline started → snapshot; pipeline finished → rollback to exactly that image', async () => {
    const pipeline = Math.floor(Math.random() * 1e9);
    const snapshot = await deliver('running', pipeline);
    expect(snapshot.kind).toBe('snapshot');
    const rollback = await deliver('success', pipeline);
    expect(rollback.kind).toBe('rollback');

    const made = await ended(snapshot.id);
    const imageId = made.result?.imageId as string;
    const image = await os.image.get(imageId);
    expect(image.name).toBe(`ci-${pipeline}-bcbb5ec3`);
    expect(imageProperty(image, 'snapflow_server')).toBe(serverId);
    expect(imageProperty(image, 'ci_project')).toBe('ci/app');

    const rolled = await ended(rollback.id);
    expect(rolled.result).toMatchObject({ serverId, imageId, status: 'ACTIVE' });
    expect(serverImageId(await os.compute.getServer(serverId))).toBe(imageId);
  });
});
