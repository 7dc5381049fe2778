import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenStackClient } from '../../shared/openstack/client';
import { BadRequestError, NotFoundError, OpenStackError } from '../../shared/openstack/errors';
import { type ContractTarget, openTarget } from './target';

// The error shapes each service really answers, through the client's typed errors.
// (404/409/401 of the main flows are also checked in the server/image/identity files.)

let target: ContractTarget;
let os: OpenStackClient;
const zero = '00000000-0000-0000-0000-000000000000';

beforeAll(async () => {
  target = await openTarget();
  os = target.client();
});
afterAll(async () => {
  await target?.close();
});

async function failure(p: Promise<unknown>): Promise<OpenStackError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenStackError);
  return err as OpenStackError;
}

describe('typed error shapes', () => {
  it('nova 400 (badRequest wrapper) for an unknown image in create', async () => {
    const e = await failure(os.compute.createServer({ name: 'snapflow-contract-never', flavor: target.flavor, imageRef: zero, networks: 'none' }));
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.status).toBe(400);
    expect(e.requestId).toMatch(/^req-/);
    expect(e.serverMessage).toBe('Can not find requested image');
  });

  it('nova 404 for an unknown flavor name', async () => {
    const e = await failure(os.compute.resolveFlavorId('snapflow-contract-no-such-flavor'));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.serverMessage).toMatch(/no flavor with id or name/);
  });

  it('glance 400 (webob body) for an invalid disk format', async () => {
    const e = await failure(os.image.create({ name: 'snapflow-contract-never', disk_format: 'bogus', container_format: 'bare' }));
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.service).toBe('image');
    expect(e.requestId).toMatch(/^req-/);
    expect(e.serverMessage).toMatch(/^Provided object does not match schema 'image': 'bogus' is not one of/);
  });

  it('glance 404 for a JSON patch of a missing image', async () => {
    const e = await failure(os.image.update(zero, [{ op: 'add', path: '/x', value: 'y' }]));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.method).toBe('PATCH');
    expect(e.serverMessage).toContain(zero);
  });

  it('error messages and the onCall path carry no query string', async () => {
    const before = target.calls.length;
    await os.image.listAll({ filters: { name: 'snapflow-contract-secretish' }, maxPages: 1 });
    const call = target.calls.slice(before).find((c) => c.service === 'image');
    expect(call?.path).toBe('/v2/images');
    expect(call?.requestId).toMatch(/^req-/);
    expect(call?.durationMs).toBeGreaterThanOrEqual(0);
  });
});
