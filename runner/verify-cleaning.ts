import { randomBytes } from 'node:crypto';
import { execTool } from './exec';
import { lastLines } from './image-check';
import type { CleanPlan } from './sysprep-command';
import { TaskError } from './task-error';

// Step 5: proof that the cleaning happened, whatever virt-sysprep's exit code said. One
// read-only guestfish boot (each boot costs most of the time) runs a script whose answers
// are told apart by a marker line per question:
//  - every deleted path (or whitelisted glob) expands to nothing;
//  - full mode: /etc/machine-id is empty;
//  - every mode: no `HWADDR=` line in any ifcfg-* (net-hwaddr silently does nothing on a
//    guest whose distro libguestfs does not know);
//  - hostname mode: /etc/hostname holds the new name.

export interface VerifyTools {
  guestfish: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

const IFCFG = '/etc/sysconfig/network-scripts/ifcfg-*';

interface Question {
  key: string;
  command: string;
}

export function verifyScript(plan: CleanPlan, marker: string): { script: string; questions: Question[] } {
  const questions: Question[] = [];
  for (const [i, p] of plan.deleted.entries()) questions.push({ key: `deleted:${i}`, command: `glob-expand ${p}` });
  if (plan.emptyMachineId) questions.push({ key: 'machine-id', command: '-filesize /etc/machine-id' });
  // `glob` runs the command once per match; with no ifcfg-* at all it fails, which is a pass
  if (plan.linux) questions.push({ key: 'hwaddr', command: `-glob grep ^[[:space:]]*HWADDR= ${IFCFG}` });
  if (plan.hostname !== null) questions.push({ key: 'hostname', command: '-cat /etc/hostname' });
  questions.push({ key: 'os', command: 'inspect-os' });
  const lines = questions.flatMap((q) => [`echo ${marker} ${q.key}`, q.command]);
  lines.push(`echo ${marker} end`);
  return { script: `${lines.join('\n')}\n`, questions };
}

/** The answer lines of each question, by key; throws when the output is cut short. */
export function parseAnswers(stdout: string, marker: string): Map<string, string[]> {
  const answers = new Map<string, string[]>();
  let current: string[] | undefined;
  let ended = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${marker} `)) {
      const key = line.slice(marker.length + 1).trim();
      if (key === 'end') {
        ended = true;
        break;
      }
      current = [];
      answers.set(key, current);
    } else if (current && line.trim() !== '') {
      current.push(line.trim());
    }
  }
  if (!ended) throw new TaskError('cleaning_not_verified', 'the guestfish verify pass stopped before its last question', false);
  return answers;
}

/** What is still wrong with the cleaned image (empty: verified). */
export function findProblems(plan: CleanPlan, answers: Map<string, string[]>): string[] {
  const problems: string[] = [];
  plan.deleted.forEach((p, i) => {
    const left = answers.get(`deleted:${i}`) ?? [];
    if (left.length) problems.push(`${p} still present (${left.slice(0, 5).join(', ')})`);
  });
  if (plan.emptyMachineId) {
    const size = answers.get('machine-id') ?? [];
    if (size[0] !== '0') problems.push(size.length ? `/etc/machine-id is ${size[0]} bytes, not empty` : '/etc/machine-id is missing');
  }
  const hw = answers.get('hwaddr') ?? [];
  if (hw.length) problems.push(`HWADDR lines left in ${IFCFG}: ${hw.slice(0, 5).join(', ')}`);
  if (plan.hostname !== null) {
    const got = (answers.get('hostname') ?? []).join(' ');
    if (got !== plan.hostname) problems.push(`/etc/hostname holds ${JSON.stringify(got)}, not ${JSON.stringify(plan.hostname)}`);
  }
  if (!(answers.get('os') ?? []).length) problems.push('no operating system found after cleaning');
  return problems;
}

export async function verifyCleaning(file: string, format: string, plan: CleanPlan, t: VerifyTools): Promise<void> {
  const marker = `@@snapflow-${randomBytes(6).toString('hex')}@@`;
  const { script } = verifyScript(plan, marker);
  const r = await execTool(t.guestfish, ['--ro', `--format=${format}`, '-a', file, '-i'], {
    env: t.env,
    timeoutMs: t.timeoutMs,
    signal: t.signal,
    input: script,
  });
  if (r.timedOut) throw new TaskError('sysprep_timeout', `the guestfish verify pass did not finish within ${t.timeoutMs} ms`, true);
  if (r.code !== 0) throw new TaskError('cleaning_not_verified', `guestfish could not inspect the cleaned image (rc ${r.code}): ${lastLines(r.stderr)}`, false);
  const problems = findProblems(plan, parseAnswers(r.stdout, marker));
  if (problems.length) throw new TaskError('cleaning_not_verified', `the cleaning did not happen: ${problems.join('; ')}`, false);
}
