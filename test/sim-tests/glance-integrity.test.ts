import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { createOpenStackClient, type OpenStackClient } from '../../shared/openstack/client';
import { cloudEntryToConfig } from '../../shared/openstack/cloud-config';
import { IntegrityError } from '../../shared/openstack/errors';
import { verifyHashes } from '../../shared/openstack/image-integrity';
import { imageSchema } from '../../shared/openstack/image-schemas';
import { imageView } from '../../shared/sim/glance-view';
import { type SimHandle, startSimulator } from '../../shared/sim/server';

// Which digest the client checks: Glance's multihash (whatever `hashing_algorithm` the cloud
// uses), md5 only for an image without one, size alone when Glance recorded nothing; and a
// corrupted byte is caught by whichever digest was chosen.

const data = randomBytes(700_000);
const hex = (alg: string) => createHash(alg).update(data).digest('hex');
let sim: SimHandle;
let os: OpenStackClient;
let transport: ReturnType<typeof createUndiciTransport>;
let dir = '';

beforeAll(async () => {
  sim = await startSimulator();
  transport = createUndiciTransport();
  os = createOpenStackClient(cloudEntryToConfig('sim', sim.cloud as unknown as Record<string, unknown>).cloud!, { transport });
  dir = mkdtempSync(join(tmpdir(), 'snapflow-integrity-'));
});
afterAll(async () => {
  await transport.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function uploaded(): Promise<string> {
  const img = await os.image.create({ name: 'integrity', disk_format: 'raw', container_format: 'bare' });
  await os.image.upload(img.id, { bytes: data });
  return img.id;
}
const file = () => join(dir, `f-${Math.random().toString(36).slice(2)}`);

describe('image integrity', () => {
  it('computes only sha512 on the default cloud, both ways', async () => {
    const id = await uploaded();
    const got = await os.image.download(id, { path: file() });
    expect(got).toEqual({ bytes: data.length, digests: { sha512: hex('sha512') }, verified: ['sha512'] });
  });

  it("follows the cloud's hashing_algorithm: learned from the first image it sees, then used for uploads", async () => {
    sim.state.hashingAlgorithm = 'sha256';
    try {
      const fresh = createOpenStackClient(cloudEntryToConfig('sim', sim.cloud as unknown as Record<string, unknown>).cloud!, { transport });
      const first = await fresh.image.create({ name: 'first', disk_format: 'raw', container_format: 'bare' });
      // nothing seen yet: sha512 is computed, Glance recorded sha256, so only the size could be checked
      expect(await fresh.image.upload(first.id, { bytes: data })).toMatchObject({ verified: [] });
      const second = await fresh.image.create({ name: 'second', disk_format: 'raw', container_format: 'bare' });
      expect(await fresh.image.upload(second.id, { bytes: data })).toEqual({
        bytes: data.length,
        digests: { sha256: hex('sha256') },
        verified: ['sha256'],
      });
      const down = await fresh.image.download(second.id, { path: file() });
      expect(down).toEqual({ bytes: data.length, digests: { sha256: hex('sha256') }, verified: ['sha256'] });
    } finally {
      sim.state.hashingAlgorithm = 'sha512';
    }
  });

  it('falls back to md5 for an image without a multihash, and to size alone without any digest', async () => {
    const id = await uploaded();
    const img = sim.state.images.get(id)!;
    Object.assign(img, { hashAlgo: null, hashValue: null });
    expect(await os.image.download(id, { path: file() })).toEqual({ bytes: data.length, digests: { md5: hex('md5') }, verified: ['md5'] });
    img.checksum = null;
    expect(await os.image.download(id, { path: file() })).toEqual({ bytes: data.length, digests: {}, verified: [] });
  });

  it('catches one flipped byte with the multihash, and with md5 on a legacy image', async () => {
    const id = await uploaded();
    const img = sim.state.images.get(id)!;
    const bad = Buffer.from(data);
    bad.writeUInt8(bad.readUInt8(12345) ^ 1, 12345);
    writeFileSync(img.filePath!, bad);
    const err = await os.image.download(id, { path: file() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(/sha512 \w+… != os_hash_value/);
    Object.assign(img, { hashAlgo: null, hashValue: null });
    const legacy = await os.image.download(id, { path: file() }).catch((e: unknown) => e);
    expect(legacy).toBeInstanceOf(IntegrityError);
    expect((legacy as Error).message).toMatch(/md5 \w+ ?…? != checksum/);
  });

  it('never passes a short download as good, even when Glance recorded no digest', async () => {
    const id = await uploaded();
    const img = sim.state.images.get(id)!;
    Object.assign(img, { hashAlgo: null, hashValue: null, checksum: null });
    const got = { status: 200, headers: new Headers(), bytes: data.length, digests: {} };
    expect(() =>
      verifyHashes({ ...imageSchema.parse(imageView(img)), size: data.length + 1 }, got, { service: 'image', method: 'GET', path: '/x' }, 'downloaded'),
    ).toThrow(`${data.length} bytes != size ${data.length + 1}`);
  });
});
