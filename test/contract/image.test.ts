import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenStackClient } from '../../shared/openstack/client';
import { ConflictError, IntegrityError, NotFoundError } from '../../shared/openstack/errors';
import { imageProperty } from '../../shared/openstack/image-schemas';
import { imageOutcome } from '../../shared/openstack/outcomes';
import { waitFor } from '../../shared/openstack/poll';
import { Cleanup, contractName } from './helpers';
import { type ContractTarget, openTarget } from './target';

let target: ContractTarget;
let os: OpenStackClient;
let dir = '';
const cleanup = new Cleanup();
const name = contractName();
const payload = randomBytes(3 * 1024 * 1024 + 123);
const sha512 = createHash('sha512').update(payload).digest('hex');
const md5 = createHash('md5').update(payload).digest('hex');
let imageId = '';

beforeAll(async () => {
  target = await openTarget();
  os = target.client();
  dir = mkdtempSync(join(tmpdir(), 'snapflow-contract-img-'));
  cleanup.add('temp dir', async () => rmSync(dir, { recursive: true, force: true }));
});
afterAll(async () => {
  try {
    await cleanup.run();
  } finally {
    await target?.close();
  }
});

describe('glance images', () => {
  it('creates a queued image with properties', async () => {
    const image = await os.image.create({
      name,
      disk_format: 'raw',
      container_format: 'bare',
      properties: { snapflow_contract: 'yes', os_type: 'linux' },
    });
    imageId = image.id;
    cleanup.add('image', () => os.image.delete(imageId));
    expect(image.status).toBe('queued');
    expect(imageProperty(image, 'snapflow_contract')).toBe('yes');
  });

  it('uploads from a file, streaming, and Glance records the same hashes', async () => {
    const file = join(dir, 'upload.raw');
    writeFileSync(file, payload);
    let progress = 0;
    const sent = await os.image.upload(imageId, { path: file }, { onProgress: (n) => (progress = n) });
    // sha512 only: Glance's multihash; md5 would halve the speed and adds nothing (image-integrity.ts)
    expect(sent).toEqual({ bytes: payload.length, digests: { sha512 }, verified: ['sha512'] });
    expect(progress).toBe(payload.length);
    const image = await waitFor('image active', () => os.image.get(imageId), imageOutcome);
    expect(image.os_hash_algo).toBe('sha512');
    expect(image.os_hash_value).toBe(sha512);
    expect(image.checksum).toBe(md5);
    expect(image.size).toBe(payload.length);
  });

  it('a second upload to an active image is a typed 409', async () => {
    const err = await os.image.upload(imageId, { bytes: new Uint8Array([1, 2, 3]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    const e = err as ConflictError;
    expect(e.status).toBe(409);
    expect(e.service).toBe('image');
    expect(e.requestId).toMatch(/^req-/);
    expect(e.serverMessage).toBe('Image status transition from active to saving is not allowed');
  });

  it('downloads to a file with the multihash (sha512) checked while streaming', async () => {
    const file = join(dir, 'download.raw');
    const got = await os.image.download(imageId, { path: file });
    expect(got).toEqual({ bytes: payload.length, digests: { sha512 }, verified: ['sha512'] });
    expect(readFileSync(file).equals(payload)).toBe(true);
  });

  it('downloads into a Node writable stream', async () => {
    const hash = createHash('sha512');
    let size = 0;
    const writable = new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb();
      },
    });
    const got = await os.image.download(imageId, { writable });
    expect(got.digests.sha512).toBe(sha512);
    expect(hash.digest('hex')).toBe(sha512);
    expect(size).toBe(payload.length);
  });

  it('refuses to download an image that has no data yet', async () => {
    const queued = await os.image.create({ name: `${name}-queued`, disk_format: 'raw', container_format: 'bare' });
    cleanup.add('queued image', () => os.image.delete(queued.id));
    const err = await os.image.download(queued.id, { path: join(dir, 'queued.raw') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).message).toContain('is queued, not active');
  });

  it('detects a hash mismatch', async () => {
    const file = join(dir, 'mismatch.raw');
    const wrong = createHash('sha512').update('something else').digest('hex');
    const err = await os.image.download(imageId, { path: file }, { expected: { sha512: wrong } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).message).toMatch(/sha512 .* != expected /);
  });

  it('checks an expected md5 too when the caller records one', async () => {
    const file = join(dir, 'md5.raw');
    const got = await os.image.download(imageId, { path: file }, { expected: { md5 } });
    expect(got.verified).toEqual(['sha512', 'md5']);
    const wrong = createHash('md5').update('x').digest('hex');
    const err = await os.image.download(imageId, { path: file }, { expected: { md5: wrong } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).message).toMatch(/md5 .* != expected /);
  });

  it('uploads from a Node stream into another image', async () => {
    const image = await os.image.create({ name: `${name}-stream`, disk_format: 'raw', container_format: 'bare' });
    cleanup.add('stream image', () => os.image.delete(image.id));
    async function* chunks() {
      for (let i = 0; i < payload.length; i += 256 * 1024) yield payload.subarray(i, i + 256 * 1024);
    }
    const sent = await os.image.upload(image.id, { stream: chunks() });
    expect(sent.digests.sha512).toBe(sha512);
    expect(sent.verified).toEqual(['sha512']);
    const active = await waitFor('stream image active', () => os.image.get(image.id), imageOutcome);
    expect(active.os_hash_value).toBe(sha512);
  });

  it('updates with JSON patch (add, replace name, remove)', async () => {
    const patched = await os.image.update(imageId, [
      { op: 'add', path: '/snapflow_extra', value: 'one' },
      { op: 'replace', path: '/name', value: `${name}-patched` },
      { op: 'remove', path: '/os_type' },
    ]);
    expect(patched.name).toBe(`${name}-patched`);
    expect(imageProperty(patched, 'snapflow_extra')).toBe('one');
    expect(imageProperty(patched, 'os_type')).toBeUndefined();
    const again = await os.image.setProperties(imageId, { snapflow_extra: 'two', 'a/b~c': 'slash' });
    expect(imageProperty(again, 'snapflow_extra')).toBe('two');
    expect(imageProperty(again, 'a/b~c')).toBe('slash');
  });

  it('lists with filters and next-link pagination', async () => {
    const byProp = await os.image.listAll({ filters: { snapflow_extra: 'two' } });
    expect(byProp.map((i) => i.id)).toEqual([imageId]);
    const paged = await os.image.listAll({ pageSize: 1, maxPages: 200 });
    expect(paged.map((i) => i.id)).toContain(imageId);
    expect(new Set(paged.map((i) => i.id)).size).toBe(paged.length);
  });

  it('shares the image with the dest project, which accepts and reads it', async () => {
    const destClient = target.client(target.dest);
    const destProject = await destClient.identity.projectId();
    const shared = await os.image.update(imageId, [{ op: 'replace', path: '/visibility', value: 'shared' }]);
    expect(shared.visibility).toBe('shared');
    const member = await os.image.addMember(imageId, destProject);
    expect(member).toMatchObject({ image_id: imageId, member_id: destProject, status: 'pending' });
    const accepted = await destClient.image.setMemberStatus(imageId, destProject, 'accepted');
    expect(accepted.status).toBe('accepted');
    expect((await os.image.listMembers(imageId)).map((m) => [m.member_id, m.status])).toEqual([[destProject, 'accepted']]);
    const seen = await destClient.image.get(imageId);
    expect(seen.os_hash_value).toBe(sha512);
    const listed = await destClient.image.listAll({ filters: { member_status: 'accepted', visibility: 'shared' } });
    expect(listed.map((i) => i.id)).toContain(imageId);
    // The member can stream it (a cross-project copy starts here).
    const got = await destClient.image.download(imageId, { path: join(dir, 'dest.raw') });
    expect(got.digests.sha512).toBe(sha512);
  });

  it('deletes, then the image is a typed 404 with the message from the HTML body', async () => {
    await os.image.delete(imageId);
    const err = await os.image.get(imageId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    const e = err as NotFoundError;
    expect(e.status).toBe(404);
    expect(e.service).toBe('image');
    expect(e.requestId).toMatch(/^req-/);
    expect(e.serverMessage).toBe(`No image found with ID ${imageId}`);
  });
});
