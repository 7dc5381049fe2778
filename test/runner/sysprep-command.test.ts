import { describe, expect, it } from 'vitest';
import { buildSysprepCommand, type CleanSpec } from '../../runner/sysprep-command';
import { TaskError } from '../../runner/task-error';
import { findProblems, parseAnswers, verifyScript } from '../../runner/verify-cleaning';

// The exact virt-sysprep argv of each mode (the corrections of ../shared/lab/sysprep/README.md
// in place: customize with the deletes, machine-id written empty, /etc/hostname written), the
// whitelist refusals, and the verify pass's script and verdicts.

const FILE = '/scratch/task-1/image.qcow2';
const spec = (over: Partial<CleanSpec>): CleanSpec => ({ mode: 'full', deletePaths: [], hostname: null, os: 'LINUX', ...over });
const refusal = (fn: () => unknown): TaskError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskError);
    return err as TaskError;
  }
  throw new Error('expected a refusal');
};

describe('virt-sysprep command lines', () => {
  it('full: default operations, the two deletes plus whitelisted extras, machine-id written empty', () => {
    const plan = buildSysprepCommand(spec({ deletePaths: ['/etc/krb5.keytab', '/root/.k5login'] }), FILE, 'qcow2', ['/root/.k5login']);
    expect(plan.args).toEqual([
      '--format',
      'qcow2',
      '--add',
      FILE,
      '--delete',
      '/etc/krb5.keytab',
      '--delete',
      '/var/lib/cern-private-cloud-addons/state',
      '--delete',
      '/root/.k5login',
      '--write',
      '/etc/machine-id:',
    ]);
    expect(plan).toMatchObject({
      linux: true,
      emptyMachineId: true,
      hostname: null,
      deleted: ['/etc/krb5.keytab', '/var/lib/cern-private-cloud-addons/state', '/root/.k5login'],
    });
  });

  it('limited: udev-persistent-net, net-hwaddr and customize (without which the deletes are skipped), no machine-id', () => {
    expect(buildSysprepCommand(spec({ mode: 'limited' }), FILE, 'raw', []).args).toEqual([
      '--format',
      'raw',
      '--add',
      FILE,
      '--enable',
      'udev-persistent-net,net-hwaddr,customize',
      '--delete',
      '/etc/krb5.keytab',
      '--delete',
      '/var/lib/cern-private-cloud-addons/state',
    ]);
  });

  it('hostname: the limited set plus net-hostname, and the new name written to /etc/hostname', () => {
    const plan = buildSysprepCommand(spec({ mode: 'hostname', hostname: 'web-2.cern.ch' }), FILE, 'qcow2', []);
    expect(plan.args).toEqual([
      '--format',
      'qcow2',
      '--add',
      FILE,
      '--enable',
      'udev-persistent-net,net-hwaddr,net-hostname,customize',
      '--delete',
      '/etc/krb5.keytab',
      '--delete',
      '/var/lib/cern-private-cloud-addons/state',
      '--write',
      '/etc/hostname:web-2.cern.ch\n',
    ]);
    expect(plan).toMatchObject({ emptyMachineId: false, hostname: 'web-2.cern.ch' });
  });

  it('Windows: default operations only', () => {
    expect(buildSysprepCommand(spec({ os: 'WINDOWS' }), FILE, 'qcow2', [])).toEqual({
      args: ['--format', 'qcow2', '--add', FILE],
      linux: false,
      deleted: [],
      emptyMachineId: false,
      hostname: null,
    });
  });

  it('refuses what is not whitelisted', () => {
    expect(refusal(() => buildSysprepCommand(spec({ deletePaths: ['/etc/shadow'] }), FILE, 'qcow2', []))).toMatchObject({
      code: 'path_not_allowed',
      retryable: false,
      message: 'delete paths outside the runner\'s whitelist: "/etc/shadow"',
    });
    // whitelisted but unsafe entries are refused all the same
    for (const bad of ['/a/../etc/shadow', '/etc/x y', '/etc/$(reboot)', '/etc/a,b']) {
      expect(refusal(() => buildSysprepCommand(spec({ deletePaths: [bad] }), FILE, 'qcow2', [bad])).code, bad).toBe('path_not_allowed');
    }
    expect(refusal(() => buildSysprepCommand(spec({ mode: 'hostname', hostname: 'bad_name;rm' }), FILE, 'qcow2', [])).code).toBe('path_not_allowed');
    expect(refusal(() => buildSysprepCommand(spec({ mode: 'limited', hostname: 'x' }), FILE, 'qcow2', [])).code).toBe('path_not_allowed');
    expect(refusal(() => buildSysprepCommand(spec({ os: 'WINDOWS', mode: 'limited' }), FILE, 'qcow2', [])).code).toBe('path_not_allowed');
    expect(refusal(() => buildSysprepCommand(spec({ os: 'WINDOWS', deletePaths: ['/etc/krb5.keytab'] }), FILE, 'qcow2', [])).code).toBe('path_not_allowed');
    expect(refusal(() => buildSysprepCommand(spec({}), FILE, 'vmdk', []))).toMatchObject({ code: 'unsupported_format' });
  });
});

describe('the verify pass', () => {
  const M = '@@m@@';
  const hostnamePlan = buildSysprepCommand(spec({ mode: 'hostname', hostname: 'web-2' }), FILE, 'qcow2', []);
  const fullPlan = buildSysprepCommand(spec({}), FILE, 'qcow2', []);

  it('asks one marked question per check', () => {
    expect(verifyScript(fullPlan, M).script).toBe(
      [
        `echo ${M} deleted:0`,
        'glob-expand /etc/krb5.keytab',
        `echo ${M} deleted:1`,
        'glob-expand /var/lib/cern-private-cloud-addons/state',
        `echo ${M} machine-id`,
        '-filesize /etc/machine-id',
        `echo ${M} hwaddr`,
        '-glob grep ^[[:space:]]*HWADDR= /etc/sysconfig/network-scripts/ifcfg-*',
        `echo ${M} os`,
        'inspect-os',
        `echo ${M} end`,
        '',
      ].join('\n'),
    );
  });

  it('passes a clean guest and names each thing left behind', () => {
    const clean = `${M} deleted:0\n${M} deleted:1\n${M} hwaddr\n${M} hostname\nweb-2\n\n${M} os\n/dev/sda1\n${M} end\n`;
    expect(findProblems(hostnamePlan, parseAnswers(clean, M))).toEqual([]);
    const dirty = [
      `${M} deleted:0`,
      '/etc/krb5.keytab',
      `${M} deleted:1`,
      `${M} machine-id`,
      '33',
      `${M} hwaddr`,
      'HWADDR=52:54:00:12:34:56',
      `${M} os`,
      `${M} end`,
      '',
    ].join('\n');
    expect(findProblems(fullPlan, parseAnswers(dirty, M))).toEqual([
      '/etc/krb5.keytab still present (/etc/krb5.keytab)',
      '/etc/machine-id is 33 bytes, not empty',
      'HWADDR lines left in /etc/sysconfig/network-scripts/ifcfg-*: HWADDR=52:54:00:12:34:56',
      'no operating system found after cleaning',
    ]);
    const wrongName = `${M} deleted:0\n${M} deleted:1\n${M} hwaddr\n${M} hostname\ntestvm.cern.ch\n${M} os\n/dev/sda1\n${M} end\n`;
    expect(findProblems(hostnamePlan, parseAnswers(wrongName, M))).toEqual(['/etc/hostname holds "testvm.cern.ch", not "web-2"']);
  });

  it('does not take output cut short for a pass', () => {
    expect(() => parseAnswers(`${M} deleted:0\n${M} deleted:1\n`, M)).toThrow(/stopped before its last question/);
  });
});
