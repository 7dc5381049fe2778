import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenStackClient } from '../../shared/openstack/client';
import { serverImageId, taskState } from '../../shared/openstack/compute-schemas';
import { ConflictError, NotFoundError } from '../../shared/openstack/errors';
import { imageProperty } from '../../shared/openstack/image-schemas';
import { imageOutcome, serverOutcome } from '../../shared/openstack/outcomes';
import { waitFor, waitGone } from '../../shared/openstack/poll';
import { Cleanup, contractName } from './helpers';
import { type ContractTarget, openTarget } from './target';

let target: ContractTarget;
let os: OpenStackClient;
const cleanup = new Cleanup();
const name = contractName();
let serverId = '';
let baseImageId = '';
let snapshotId = '';

const active = (id: string) =>
  waitFor(
    `server ${id} ACTIVE`,
    () => os.compute.getServer(id),
    (s) => serverOutcome(s, 'ACTIVE'),
  );
const shutoff = (id: string) =>
  waitFor(
    `server ${id} SHUTOFF`,
    () => os.compute.getServer(id),
    (s) => serverOutcome(s, 'SHUTOFF'),
  );

beforeAll(async () => {
  target = await openTarget();
  os = target.client();
  const [base] = await os.image.listAll({ filters: { name: target.baseImageName } });
  if (!base) throw new Error(`base image ${target.baseImageName} not found`);
  baseImageId = base.id;
});
afterAll(async () => {
  try {
    await cleanup.run();
  } finally {
    await target?.close();
  }
});

describe('nova server lifecycle', () => {
  it('creates a server (flavor by name, networks none) that becomes ACTIVE', async () => {
    const created = await os.compute.createServer({
      name,
      flavor: target.flavor,
      imageRef: baseImageId,
      networks: 'none',
      metadata: { snapflow_contract: 'yes' },
    });
    serverId = created.id;
    cleanup.add('server', async () => {
      await os.compute.deleteServer(serverId);
      await waitGone('server delete', () => os.compute.getServer(serverId));
    });
    const server = await active(serverId);
    expect(server.name).toBe(name);
    expect(server.metadata.snapflow_contract).toBe('yes');
    expect(serverImageId(server)).toBe(baseImageId);
    expect(server.flavor?.original_name).toBe(target.flavor);
  });

  it('finds the server by exact name only (the name filter is a regex)', async () => {
    expect((await os.compute.findServerByName(name))?.id).toBe(serverId);
    expect(await os.compute.findServerByName(name.slice(0, -1))).toBeUndefined();
    expect(await os.compute.findServerByName(`${name.slice(0, -1)}.`)).toBeUndefined();
    expect(await os.compute.findServerByName(`${name}.*`)).toBeUndefined();
    expect((await os.compute.resolveServer(name)).id).toBe(serverId);
    expect((await os.compute.resolveServer(serverId)).id).toBe(serverId);
  });

  it('lists servers across pages', async () => {
    const all = await os.compute.listAllServers({ pageSize: 1, maxPages: 50 });
    expect(all.map((s) => s.id)).toContain(serverId);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
  });

  it('createImage returns the image id and the snapshot becomes active with its properties', async () => {
    snapshotId = await os.compute.createImage(serverId, `${name}-snap`, { snapflow_job: 'contract-job' });
    cleanup.add('snapshot image', () => os.image.delete(snapshotId));
    const image = await waitFor('snapshot active', () => os.image.get(snapshotId), imageOutcome);
    expect(image.name).toBe(`${name}-snap`);
    expect(imageProperty(image, 'image_type')).toBe('snapshot');
    expect(imageProperty(image, 'instance_uuid')).toBe(serverId);
    expect(imageProperty(image, 'snapflow_job')).toBe('contract-job');
    expect(image.size).toBeGreaterThan(0);
    expect(image.os_hash_algo).toBe('sha512');
    const server = await active(serverId);
    expect(taskState(server)).toBeNull();
  });

  it('createBackup returns an image id that becomes active as a backup', async () => {
    const backupId = await os.compute.createBackup(serverId, { name: `${name}-backup`, backupType: 'daily', rotation: 1 });
    expect(backupId).toBeTruthy();
    cleanup.add('backup image', () => os.image.delete(backupId!));
    const image = await waitFor('backup active', () => os.image.get(backupId!), imageOutcome);
    expect(imageProperty(image, 'image_type')).toBe('backup');
    expect(imageProperty(image, 'backup_type')).toBe('daily');
    await active(serverId);
  });

  it('os-start on an ACTIVE server is a typed 409', async () => {
    const err = await os.compute.start(serverId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    const e = err as ConflictError;
    expect(e.status).toBe(409);
    expect(e.service).toBe('compute');
    expect(e.method).toBe('POST');
    expect(e.path).toBe(`${new URL(await os.identity.endpoint('compute')).pathname}/servers/${serverId}/action`);
    expect(e.requestId).toMatch(/^req-/);
    expect(e.serverMessage).toMatch(/Cannot 'start' instance .* while it is in vm_state active/);
  });

  it('stops and starts', async () => {
    await os.compute.stop(serverId);
    expect((await shutoff(serverId)).status).toBe('SHUTOFF');
    await os.compute.start(serverId);
    expect((await active(serverId)).status).toBe('ACTIVE');
  });

  it('rebuilds from the snapshot and keeps the server id', async () => {
    const answer = await os.compute.rebuild(serverId, { imageRef: snapshotId });
    expect(answer.id).toBe(serverId);
    const server = await active(serverId);
    expect(serverImageId(server)).toBe(snapshotId);
  });

  it('renames with PUT', async () => {
    const renamed = await os.compute.rename(serverId, `${name}-renamed`);
    expect(renamed.name).toBe(`${name}-renamed`);
    expect((await os.compute.getServer(serverId)).name).toBe(`${name}-renamed`);
    expect(await os.compute.findServerByName(name)).toBeUndefined();
  });

  it('deletes, then the server is a typed 404', async () => {
    await os.compute.deleteServer(serverId);
    await waitGone('server delete', () => os.compute.getServer(serverId));
    const err = await os.compute.getServer(serverId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).requestId).toMatch(/^req-/);
    expect((err as NotFoundError).serverMessage).toBe(`Instance ${serverId} could not be found.`);
  });
});
