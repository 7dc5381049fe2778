import { z } from 'zod';
import { type ExecResult, execTool } from './exec';
import { TaskError } from './task-error';

// Steps 3 and 3b: what the downloaded file really is, before virt-sysprep may touch it.
// qemu-img's exit codes alone do not tell (../shared/lab/sysprep/README.md): `info` returns 0
// with format "raw" for garbage, and `amend` returns 0 on a corrupt image. So: `info` without
// -f (qemu probes the format and reports a backing file without opening it), the format must
// be the task's; then `check` (2 = corrupt, 3 = leaks only); then, for SLC6 guests, `amend`
// to compat 0.10 and `info` again to see that it took.

export interface ToolRunner {
  qemuImg: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

const infoSchema = z.looseObject({
  format: z.string(),
  'virtual-size': z.number(),
  'backing-filename': z.string().optional(),
  'format-specific': z
    .looseObject({ type: z.string(), data: z.looseObject({ compat: z.string().optional(), corrupt: z.boolean().optional() }).optional() })
    .optional(),
});
export type ImageInfo = z.infer<typeof infoSchema>;

export async function imageInfo(file: string, t: ToolRunner): Promise<ImageInfo> {
  const r = await run(t, ['info', '--output=json', file]);
  if (r.code !== 0) throw new TaskError('corrupt_image', `qemu-img info cannot open the image: ${lastLines(r.stderr)}`, false);
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new TaskError('internal_error', 'qemu-img info --output=json printed something that is not JSON', false);
  }
  const parsed = infoSchema.safeParse(doc);
  if (!parsed.success) throw new TaskError('internal_error', `qemu-img info: unexpected JSON (${parsed.error.issues[0]?.path.join('.')})`, false);
  return parsed.data;
}

/** info + check; answers the warnings (leaked clusters). */
export async function checkImage(file: string, diskFormat: string, t: ToolRunner): Promise<{ info: ImageInfo; warnings: string[] }> {
  const info = await imageInfo(file, t);
  if (info.format !== diskFormat) {
    const hint = info.format === 'raw' ? ' (qemu-img reads anything it does not recognise as raw: garbage, a truncated file or an unknown format)' : '';
    throw new TaskError('format_mismatch', `the task says ${diskFormat}, qemu-img sees ${info.format}${hint}`, false);
  }
  if (info['backing-filename'] !== undefined) {
    throw new TaskError('backing_file', `the image has a backing file (${JSON.stringify(info['backing-filename'])}): it is not self-contained`, false);
  }
  if (info['format-specific']?.data?.corrupt) throw new TaskError('corrupt_image', 'qemu-img info: the image is marked corrupt', false);
  if (diskFormat === 'raw') return { info, warnings: [] }; // nothing to check in a raw file
  const r = await run(t, ['check', '-f', diskFormat, file]);
  const said = checkSummary(r.stdout, r.stderr);
  switch (r.code) {
    case 0:
      return { info, warnings: [] };
    case 3:
      return { info, warnings: [`qemu-img check found leaked clusters (harmless, space only): ${said}`] };
    case 2:
      throw new TaskError('corrupt_image', `qemu-img check: the image is corrupt: ${said}`, false);
    default:
      throw new TaskError('corrupt_image', `qemu-img check could not check the image (rc ${r.code}): ${said}`, false);
  }
}

/** SLC6's qemu reads only qcow2 compat 0.10. */
export async function amendForSlc6(file: string, info: ImageInfo, t: ToolRunner): Promise<{ amended: boolean }> {
  if (info.format !== 'qcow2' || info['format-specific']?.data?.compat === '0.10') return { amended: false };
  const r = await run(t, ['amend', '-f', 'qcow2', '-o', 'compat=0.10', file]);
  if (r.code !== 0) throw new TaskError('cannot_downgrade', `qemu-img amend -o compat=0.10 refused: ${lastLines(r.stderr)}`, false);
  const after = await imageInfo(file, t);
  const compat = after['format-specific']?.data?.compat;
  if (compat !== '0.10') throw new TaskError('cannot_downgrade', `qemu-img amend returned 0 but the image is compat ${compat}`, false);
  return { amended: true };
}

async function run(t: ToolRunner, args: string[]): Promise<ExecResult> {
  const r = await execTool(t.qemuImg, args, { env: t.env, timeoutMs: t.timeoutMs, signal: t.signal });
  if (r.timedOut) throw new TaskError('sysprep_timeout', `qemu-img ${args[0]} did not finish within ${t.timeoutMs} ms`, true);
  return r;
}

/** qemu-img check's verdict lines ("N errors were found", "N leaked clusters") and its first ERROR line. */
function checkSummary(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim());
  const verdicts = lines.filter((l) => /were found on the image/.test(l));
  const firstError = lines.find((l) => /^ERROR|error/i.test(l) && !/were found/.test(l));
  const out = [...verdicts, ...(firstError ? [firstError] : [])].join(' | ');
  return out || lastLines(`${stdout}\n${stderr}`);
}

/** The last few non-empty lines of a tool's output, for a message. */
export function lastLines(text: string, n = 3, max = 600): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const out = lines.slice(-n).join(' | ');
  return out.length > max ? `…${out.slice(-max)}` : out || '(no output)';
}
