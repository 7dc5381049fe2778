import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test doubles of qemu-img, virt-sysprep and guestfish for the fast suite (each real
// virt-sysprep run boots an appliance; the real tools run in the `sysprep` project). They are real
// executables, so the runner's spawning, argv, process-group kill and timeouts are the real
// ones. The runner gives tools a clean environment, so they read their behaviour from a
// JSON file next to them, and log every argv there.
//  - qemu-img: `info` sees qcow2 when the file starts with the qcow2 magic, raw otherwise;
//    `check` exits with `checkRc`; `amend` exits 0.
//  - virt-sysprep: sleeps `sysprepMs`, exits `sysprepRc` (stderr `sysprepStderr`).
//  - guestfish: answers the verify script as a cleaned guest would (hostname `hostname`,
//    `leftover` as a path that is still there).

export interface FakeBehaviour {
  checkRc?: number;
  sysprepMs?: number;
  sysprepRc?: number;
  sysprepStderr?: string;
  hostname?: string;
  leftover?: string;
}

export interface FakeTools {
  dir: string;
  tools: { qemuImg: string; virtSysprep: string; guestfish: string };
  /** New behaviour, and a fresh run log. */
  set(b: FakeBehaviour): void;
  /** argv of every run, in order: [tool, ...args] */
  runs(): string[][];
  /** Process ids of every run of a tool. */
  pids(tool: string): number[];
  /** Whether a process still runs (a zombie nobody reaped yet does not). */
  running(pid: number): boolean;
  remove(): void;
}

const COMMON = `
const fs = require('node:fs');
const path = require('node:path');
const dir = __dirname;
const behaviour = JSON.parse(fs.readFileSync(path.join(dir, 'behaviour.json'), 'utf8'));
fs.appendFileSync(path.join(dir, 'runs.log'), JSON.stringify([path.basename(__filename), ...process.argv.slice(2)]) + '\\n');
fs.appendFileSync(path.join(dir, 'pids.log'), path.basename(__filename) + ' ' + process.pid + '\\n');
const args = process.argv.slice(2);
`;

const QEMU_IMG = `${COMMON}
const file = args[args.length - 1];
if (args[0] === 'info') {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  const qcow2 = head.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
  const size = fs.statSync(file).size;
  const info = { 'virtual-size': 268435456, filename: file, format: qcow2 ? 'qcow2' : 'raw', 'actual-size': size };
  if (qcow2) info['format-specific'] = { type: 'qcow2', data: { compat: behaviour.compat ?? '1.1', corrupt: false } };
  process.stdout.write(JSON.stringify(info));
  process.exit(0);
}
if (args[0] === 'check') process.exit(behaviour.checkRc ?? 0);
if (args[0] === 'amend') {
  behaviour.compat = '0.10';
  fs.writeFileSync(path.join(dir, 'behaviour.json'), JSON.stringify(behaviour));
  process.exit(0);
}
process.exit(1);
`;

const VIRT_SYSPREP = `${COMMON}
setTimeout(() => {
  if (behaviour.sysprepStderr) process.stderr.write(behaviour.sysprepStderr + '\\n');
  process.exit(behaviour.sysprepRc ?? 0);
}, behaviour.sysprepMs ?? 0);
`;

const GUESTFISH = `${COMMON}
const script = fs.readFileSync(0, 'utf8').split('\\n');
const out = [];
for (const line of script) {
  const [cmd, ...rest] = line.replace(/^-/, '').split(' ');
  if (cmd === 'echo') out.push(rest.join(' '));
  else if (cmd === 'glob-expand' && behaviour.leftover === rest[0]) out.push(rest[0]);
  else if (cmd === 'filesize') out.push('0');
  else if (cmd === 'cat') out.push(behaviour.hostname ?? 'new-name', '');
  else if (cmd === 'inspect-os') out.push('/dev/sda1');
}
process.stdout.write(out.join('\\n') + '\\n');
`;

export function fakeTools(): FakeTools {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-fake-tools-'));
  const write = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/usr/bin/env node\n${body}`);
    chmodSync(p, 0o755);
    return p;
  };
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
  const tools = { qemuImg: write('qemu-img', QEMU_IMG), virtSysprep: write('virt-sysprep', VIRT_SYSPREP), guestfish: write('guestfish', GUESTFISH) };
  const set = (b: FakeBehaviour) => {
    writeFileSync(join(dir, 'behaviour.json'), JSON.stringify(b));
    rmSync(join(dir, 'runs.log'), { force: true });
    rmSync(join(dir, 'pids.log'), { force: true });
  };
  set({});
  return {
    dir,
    tools,
    set,
    runs: () => {
      let text = '';
      try {
        text = readFileSync(join(dir, 'runs.log'), 'utf8');
      } catch {
        return [];
      }
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]);
    },
    pids: (tool) => {
      let text = '';
      try {
        text = readFileSync(join(dir, 'pids.log'), 'utf8');
      } catch {
        return [];
      }
      return text
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([t]) => t === tool)
        .map(([, p]) => Number(p));
    },
    running: (pid) => {
      try {
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
      } catch {
        return false;
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
