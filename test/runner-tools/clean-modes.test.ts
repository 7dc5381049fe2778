import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, runnerHarness, type SimEnv, startSimEnv, taskFor, uploadImage } from '../../bench/lib/runner-doubles/harness';
import { type ServiceDouble, startServiceDouble } from '../../bench/lib/runner-doubles/service-double';
import { runTask, type TaskOutcome } from '../../runner/run-task';
import type { Task } from '../../shared/runner/protocol';
import { libguestfsForTests, makeTestImage, missingTools, qemuImg } from './support';

// The three cleaning modes and an SLC6 guest, with the real qemu-img, virt-sysprep and
// guestfish on images from the lab's make-test-image.sh, each a whole task (download from the
// simulator, check, amend, clean, the runner's own verify pass, upload). Then one read-only
// boot over the four uploaded results checks what each mode had to leave alone, which the
// runner's pass does not look at (the control file, ssh keys kept by the limited modes).

const skip = missingTools();
if (skip) console.warn(skip);

let env: SimEnv;
let service: ServiceDouble;
let h: Harness;
const results = new Map<string, { task: Task; end: TaskOutcome }>();

beforeAll(async () => {
  if (skip) return;
  env = await startSimEnv();
  service = await startServiceDouble();
  h = await runnerHarness(env, service, { libguestfs: libguestfsForTests(), timeouts: { sysprep: '20m', verify: '20m' } });
});
afterAll(async () => {
  if (skip) return;
  await h.close();
  await service.close();
  await env.close();
});

describe.skipIf(!!skip)('cleaning modes with the real tools', () => {
  it('cleans in full, limited and hostname mode, and an SLC6 guest after amend, each proven by the verify pass', async () => {
    const el8 = await uploadImage(env.source, makeTestImage(join(env.dir, 'el8.qcow2')));
    const slc6 = await uploadImage(env.source, makeTestImage(join(env.dir, 'slc6.qcow2'), '--variant', 'slc6'));
    const cases: Array<[string, Task]> = [
      ['full', taskFor(el8, { clean: { mode: 'full', deletePaths: [] } })],
      ['limited', taskFor(el8, { clean: { mode: 'limited', deletePaths: ['/etc/krb5.keytab'] } })],
      ['hostname', taskFor(el8, { clean: { mode: 'hostname', hostname: 'renamed.cern.ch', deletePaths: [] } })],
      ['slc6', taskFor(slc6, { clean: { mode: 'full', slc6: true, deletePaths: [] } })],
    ];
    for (const [, task] of cases) {
      service.enqueue(task);
      expect((await h.deps.service.claim({ runner: 'test', waitSeconds: 0 }))?.id).toBe(task.id);
    }
    // side by side, as a runner with concurrency 4 would (the appliances boot in parallel)
    const ends = await Promise.all(cases.map(([, task]) => runTask(task, h.deps, new AbortController().signal)));
    for (const [i, [name, task]] of cases.entries()) results.set(name, { task, end: ends[i]! });
    for (const [name, { end }] of results) expect(end, name).toMatchObject({ outcome: 'completed', reused: false });
    expect(readdirSync(h.scratchDir).filter((n) => n.startsWith('task-'))).toEqual([]);
    const phases = h.logs.filter((l) => l.includes('"task completed"')).map((l) => JSON.parse(l).phaseMs);
    console.log('phase durations (ms):', JSON.stringify(phases));
  });

  it('left what each mode must keep, and SLC6 at qcow2 compat 0.10 (one independent read-only boot)', async () => {
    const names = ['full', 'limited', 'hostname', 'slc6'];
    const files: string[] = [];
    for (const name of names) {
      const r = results.get(name);
      expect(r?.end.outcome, name).toBe('completed');
      const file = join(env.dir, `result-${name}.qcow2`);
      await env.target.image.download((r!.end as { imageId: string }).imageId, { path: file });
      files.push(file);
    }
    expect(JSON.parse(qemuImg('info', '--output=json', files[3]!))['format-specific'].data.compat).toBe('0.10');
    expect(JSON.parse(qemuImg('info', '--output=json', files[0]!))['format-specific'].data.compat).toBe('1.1');

    const checks = [
      'is-file /etc/krb5.keytab',
      'is-file /var/lib/cern-private-cloud-addons/state',
      'is-file /etc/ssh/ssh_host_rsa_key',
      'is-file /root/.bash_history',
      'is-file /etc/motd',
      '-filesize /etc/machine-id',
      '-cat /etc/hostname',
    ];
    const script = [
      'run',
      ...names.flatMap((name, i) => [`echo @@ ${name}`, `mount-ro /dev/sd${String.fromCharCode(97 + i)}1 /`, ...checks, 'umount-all']),
      'echo @@ end',
    ].join('\n');
    const out = execFileSync('guestfish', ['--ro', '--format=qcow2', ...files.flatMap((f) => ['-a', f])], {
      input: script,
      encoding: 'utf8',
      env: { ...process.env, LIBGUESTFS_BACKEND: libguestfsForTests().backend, LIBGUESTFS_BACKEND_SETTINGS: libguestfsForTests().backendSettings.join(':') },
      timeout: 20 * 60_000,
    });
    const seen: Record<string, string[]> = {};
    let cur: string[] = [];
    for (const line of out.split('\n')) {
      if (line.startsWith('@@ ')) seen[line.slice(3)] = cur = [];
      else if (line.trim()) cur.push(line.trim());
    }
    //            keytab   state    ssh key  history  motd    machine-id  hostname
    expect(seen.full).toEqual(['false', 'false', 'false', 'false', 'true', '0', 'testvm.cern.ch']);
    expect(seen.limited).toEqual(['false', 'false', 'true', 'true', 'true', '33', 'testvm.cern.ch']);
    expect(seen.hostname).toEqual(['false', 'false', 'true', 'true', 'true', '33', 'renamed.cern.ch']);
    expect(seen.slc6).toEqual(['false', 'false', 'false', 'false', 'true', '0']);
  });
});
