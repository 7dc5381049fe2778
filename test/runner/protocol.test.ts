import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClaimRequest, CompleteRequest, FailRequest, HeartbeatRequest, HeartbeatResponse, LeaseLost, Task } from '../../shared/runner/protocol';

// The runner protocol's schemas, which the service imports too: the documented task parses,
// requests refuse unknown fields and name the bad one, and the file stays runtime-agnostic
// (it imports zod only, so the Workers deployment can serve the same routes).

const task = {
  id: 't-1',
  jobId: 'j-1',
  attempt: 1,
  lease: { token: 'opaque', expiresAt: '2026-12-07T10:00:00.000Z', ttlSeconds: 60 },
  source: {
    cloud: 'prod',
    imageId: 'img-1',
    size: 123,
    diskFormat: 'qcow2',
    hashAlgo: 'sha512',
    hashValue: 'ab12',
    checksum: null,
    virtualSize: null,
    serverId: 'srv-1',
  },
  clean: { mode: 'full', deletePaths: ['/etc/krb5.keytab'], hostname: null, slc6: false, os: 'LINUX' },
  target: { cloud: 'prod', name: 'web-test', diskFormat: 'qcow2', containerFormat: 'bare', visibility: 'private', properties: { k: 'v' } },
};
const paths = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) => r.error?.issues.map((i) => i.path.join('.'));

describe('runner protocol', () => {
  it('parses the documented task, and drops fields it does not know (a newer service)', () => {
    expect(Task.parse(task)).toEqual(task);
    expect(Task.parse({ ...task, addedLater: 1 })).toEqual(task);
  });

  it('names what is wrong in a task', () => {
    expect(paths(Task.safeParse({ ...task, clean: { ...task.clean, mode: 'hostname' } }))).toEqual(['clean.hostname']);
    expect(paths(Task.safeParse({ ...task, clean: { ...task.clean, deletePaths: ['etc/x', '/a/../b'] } }))).toEqual([
      'clean.deletePaths.0',
      'clean.deletePaths.1',
    ]);
    expect(paths(Task.safeParse({ ...task, target: { ...task.target, properties: { snapflow_job: 'x', os: 'LINUX', status: 'active' } } }))).toEqual([
      'target.properties.snapflow_job',
      'target.properties.os',
      'target.properties.status',
    ]);
    expect(paths(Task.safeParse({ ...task, lease: { ...task.lease, expiresAt: 'tomorrow' } }))).toEqual(['lease.expiresAt']);
  });

  it('refuses unknown fields in what runners send', () => {
    expect(ClaimRequest.safeParse({ runner: 'r', waitSeconds: 30 }).success).toBe(true);
    expect(paths(ClaimRequest.safeParse({ runner: 'r', waitSeconds: 31 }))).toEqual(['waitSeconds']);
    expect(HeartbeatRequest.safeParse({ leaseToken: 'x', phase: 'sysprep', bytesDone: 0, bytesTotal: 0 }).success).toBe(true);
    expect(HeartbeatRequest.safeParse({ leaseToken: 'x', phase: 'sysprep', bytesDone: 0, bytesTotal: 0, extra: 1 }).success).toBe(false);
    expect(
      CompleteRequest.safeParse({
        leaseToken: 'x',
        imageId: 'i',
        bytes: 1,
        verified: { source: { sha512: 'ab' }, target: { sha512: 'cd' } },
        warnings: [],
      }).success,
    ).toBe(true);
    expect(
      paths(CompleteRequest.safeParse({ leaseToken: 'x', imageId: 'i', bytes: 1, verified: { source: { crc: 'ab' }, target: {} }, warnings: [] })),
    ).toEqual(['verified.source']);
    expect(FailRequest.safeParse({ leaseToken: 'x', code: 'runner_stopping', message: 'm', retryable: true, phase: 'download' }).success).toBe(true);
    expect(paths(FailRequest.safeParse({ leaseToken: 'x', code: 'Not Snake', message: 'm', retryable: true, phase: 'download' }))).toEqual(['code']);
  });

  it('reads the service answers', () => {
    expect(HeartbeatResponse.parse({ cancel: false, lease: { expiresAt: '2026-12-07T10:01:00Z', ttlSeconds: 60 } }).cancel).toBe(false);
    expect(LeaseLost.safeParse({ error: { code: 'lease_lost', message: 'taken over' } }).success).toBe(true);
    expect(LeaseLost.safeParse({ error: { code: 'not_found' } }).success).toBe(false);
  });

  it('imports nothing but zod', () => {
    const src = readFileSync(new URL('../../shared/runner/protocol.ts', import.meta.url), 'utf8');
    expect([...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1])).toEqual(['zod']);
  });
});
