import { execTool } from './exec';
import { lastLines } from './image-check';
import type { CleanPlan } from './sysprep-command';
import { TaskError } from './task-error';

// Step 4: virt-sysprep with the plan's argv, under a deadline. Its exit code says little
// (0 with the deletes skipped, see sysprep-command.ts); the verify pass decides. A failure
// is told apart by its `virt-sysprep: error:` line: an image without an OS is the task's
// fault, an appliance that would not start is this host's.

export interface SysprepTools {
  virtSysprep: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

export async function runSysprep(plan: CleanPlan, t: SysprepTools): Promise<{ durationMs: number }> {
  const r = await execTool(t.virtSysprep, plan.args, { env: t.env, timeoutMs: t.timeoutMs, signal: t.signal });
  if (r.timedOut) throw new TaskError('sysprep_timeout', `virt-sysprep did not finish within ${t.timeoutMs} ms`, true);
  if (r.code === 0) return { durationMs: r.durationMs };
  const said = lastLines(r.stderr);
  if (/no operating systems? (were|was) found/i.test(r.stderr)) {
    throw new TaskError('no_os', `virt-sysprep found no operating system in the image: ${said}`, false);
  }
  if (/guestfs_launch failed|cannot find any suitable libguestfs supermin|could not create appliance/i.test(r.stderr)) {
    throw new TaskError('sysprep_failed', `virt-sysprep could not start its appliance on this runner (rc ${r.code}): ${said}`, true);
  }
  throw new TaskError('sysprep_failed', `virt-sysprep failed (rc ${r.code ?? r.signal}): ${said}`, false);
}
