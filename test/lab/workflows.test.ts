// Real-cloud tier: snapshot, rollback and prune through the whole service stack
// (composeService + the HTTP API) against a real OpenStack. Runs only when OS_CLOUD is set:
//   OS_CLIENT_CONFIG_FILE=/var/tmp/oslab/clouds.yaml OS_CLOUD=oslab npx vitest run --project lab
// It creates its own servers and deletes everything it made in afterAll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessService, type JobJson, startInProcessService } from '../../functions/in-process-service';
import type { OpenStackClient } from '../../shared/openstack/client';
import { serverImageId } from '../../shared/openstack/compute-schemas';
import { type Image, imageProperty, imageVolumeSnapshotIds } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import { serverOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { Cleanup, contractName } from '../contract/helpers';
import { type ContractTarget, openTarget } from '../contract/target';

const CLOUD = process.env.OS_CLOUD ?? '';
const POLICY = 'lab';

describe.skipIf(!CLOUD)('lab: workflows through the service against a real cloud', () => {
  let target: ContractTarget;
  let os: OpenStackClient;
  let api: InProcessService;
  let baseImageId = '';
  const cleanup = new Cleanup();
  const serverName = contractName('-lab');
  let serverId = '';
  const snapshots: string[] = [];

  /** Every image snapflow tagged for a server, whatever state the test left it in. */
  const taggedImages = async (id: string): Promise<Image[]> =>
    (await os.image.listAll({ filters: { snapflow_server: id } })).filter((i) => imageProperty(i, 'snapflow_server') === id);

  const deleteServer = async (id: string) => {
    await os.compute.deleteServer(id);
    await waitGone(`server ${id} delete`, () => os.compute.getServer(id), { timeoutMs: 170_000 });
  };
  const deleteImagesOf = async (id: string) => {
    // The Cinder snapshots of a volume-backed image go with it (Glance does not delete them).
    for (const image of await taggedImages(id)) {
      await orNull(os.image.delete(image.id));
      for (const snap of imageVolumeSnapshotIds(image)) {
        await orNull(os.volume.deleteSnapshot(snap));
        await waitGone(`volume snapshot ${snap} delete`, () => os.volume.getSnapshot(snap));
      }
    }
  };

  async function run(body: Record<string, unknown>): Promise<JobJson> {
    const id = await api.submit({ cloud: CLOUD, ...body });
    const job = await api.wait(id, 600_000);
    if (job.state !== 'succeeded') throw new Error(`${String(body.kind)} job ${id} ${job.state}: ${JSON.stringify(job.error)}`);
    return job;
  }

  async function bootServer(name: string, spec: { imageRef?: string; bdm?: Array<Record<string, unknown>> }) {
    const { id } = await os.compute.createServer({
      name,
      flavor: target.flavor,
      networks: 'none',
      ...(spec.imageRef ? { imageRef: spec.imageRef } : {}),
      ...(spec.bdm ? { blockDeviceMappingV2: spec.bdm } : {}),
    });
    return id;
  }

  beforeAll(async () => {
    target = await openTarget();
    os = target.client();
    api = await startInProcessService({ cloudNames: [CLOUD], mode: 'cloud' });
    const [base] = await os.image.listAll({ filters: { name: target.baseImageName } });
    baseImageId = base!.id;
    serverId = await bootServer(serverName, { imageRef: baseImageId });
    // LIFO: the server goes first, then every image the jobs tagged for it.
    cleanup.add('images of the server', () => deleteImagesOf(serverId));
    cleanup.add('server', () => deleteServer(serverId));
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

  it('snapshot: an active image with the snapflow tags, listed by /v1/snapshots, with step events', async () => {
    const job = await run({ kind: 'snapshot', server: serverName, policy: POLICY });
    const imageId = job.result?.imageId as string;
    snapshots.push(imageId);
    expect(job.result).toMatchObject({ serverId, serverName, volumeBacked: false, volumeSnapshotIds: [], policy: POLICY, stopped: false });

    const image = await os.image.get(imageId);
    expect(image.status).toBe('active');
    expect(imageProperty(image, 'snapflow_job')).toBe(job.id);
    expect(imageProperty(image, 'snapflow_policy')).toBe(POLICY);
    expect(imageProperty(image, 'snapflow_server')).toBe(serverId);
    expect(imageProperty(image, 'snapflow_volume_backed')).toBe('false');
    expect(imageProperty(image, 'instance_uuid')).toBe(serverId);

    const listed = await api.request<{ snapshots: Array<{ id: string; status: string; jobId: string; policy: string | null }> }>(
      'GET',
      `/v1/snapshots?cloud=${CLOUD}&server=${serverName}`,
    );
    expect(listed.status).toBe(200);
    expect(listed.body.snapshots).toEqual([expect.objectContaining({ id: imageId, status: 'active', jobId: job.id, policy: POLICY })]);

    const steps = (await api.events(job.id)).filter((e) => e.type === 'step.done').map((e) => e.step);
    expect(steps).toEqual(expect.arrayContaining(['resolve-server', 'create-image', 'wait-image-active']));
  });

  it('rollback latest: the server is rebuilt from the newest snapflow snapshot', async () => {
    const second = await run({ kind: 'snapshot', server: serverName, policy: POLICY });
    snapshots.push(second.result?.imageId as string);
    const newest = snapshots[1]!;
    expect(newest).not.toBe(snapshots[0]);

    const job = await run({ kind: 'rollback', server: serverName, image: 'latest', confirm: true });
    expect(job.result).toMatchObject({ serverId, imageId: newest, status: 'ACTIVE' });
    const server = await os.compute.getServer(serverId);
    expect(server.status).toBe('ACTIVE');
    expect(serverImageId(server)).toBe(newest);
  });

  it('prune keep=1 deletes the older snapshot of the policy and keeps the newest', async () => {
    const [older, newest] = snapshots as [string, string];
    const job = await run({ kind: 'prune', server: serverName, policy: POLICY, keep: 1 });
    expect(job.result).toMatchObject({ dryRun: false, deleted: [expect.objectContaining({ id: older })], kept: [expect.objectContaining({ id: newest })] });
    const gone = await orNull(os.image.get(older));
    // Glance answers 404 for a deleted image (or shows it "deleted" to an admin).
    expect(gone === null || gone.status === 'deleted').toBe(true);
    expect((await os.image.get(newest)).status).toBe('active');
    expect((await taggedImages(serverId)).map((i) => i.id)).toEqual([newest]);
  });
});
