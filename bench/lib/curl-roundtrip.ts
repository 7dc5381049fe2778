import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { type MeasuredRun, runMeasured } from './peak-rss';

// Two operator baselines from ONE set of curl transfers per round:
//  - "curl": bytes only (curl's own time_total), the raw speed of the wire and of Glance;
//  - "curl+verify": the same job snapflow does, by hand, each leg timed end to end:
//      download: curl -o f; curl the image record; sha512sum f; compare os_hash_value;
//      upload:   sha512sum f; curl -T f; curl the image record; compare os_hash_value.
//    sha512 only, as `openstack image save` (glanceclient) and snapflow check: Glance's
//    multihash; its md5 `checksum` is legacy (see shared/openstack/image-integrity.ts).
// The hash tools run one after the other (`&&`), as an operator types them. The token
// travels in a 0600 header file (`-H @file`) so it never shows up in argv or in `ps`.

export interface CurlLeg {
  ms: number;
  peakRssKiB: number | undefined;
}

export interface CurlRoundtrip {
  download: CurlLeg;
  upload: CurlLeg;
  /** curl+verify: the transfer plus the operator's hashing and image GET. */
  downloadVerified: CurlLeg;
  uploadVerified: CurlLeg;
  /** Wall time of sha512sum over the file (after the download, before the upload). */
  toolMs: { sha512sum: number; sha512sumUpload: number };
}

export interface CurlArgs {
  /** Glance root, e.g. http://127.0.0.1:9292 */
  glance: string;
  headerFile: string;
  src: string;
  dst: string;
  file: string;
}

export class VerifyMismatch extends Error {
  override name = 'HashMismatch';
}

export function curlDownloadArgs(a: CurlArgs): string[] {
  return ['-sS', '-f', '-o', a.file, '-H', `@${a.headerFile}`, '-w', '%{http_code} %{time_total}', `${a.glance}/v2/images/${a.src}/file`];
}

export function curlUploadArgs(a: CurlArgs): string[] {
  return [
    '-sS',
    '-f',
    '-X',
    'PUT',
    '-H',
    `@${a.headerFile}`,
    '-H',
    'Content-Type: application/octet-stream',
    '-T',
    a.file,
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{time_total}',
    `${a.glance}/v2/images/${a.dst}/file`,
  ];
}

function curlRecordArgs(a: CurlArgs, id: string, out: string): string[] {
  return ['-sS', '-f', '-o', out, '-H', `@${a.headerFile}`, '-w', '%{http_code} %{time_total}', `${a.glance}/v2/images/${id}`];
}

const recordSchema = z.object({ os_hash_value: z.string().nullable().optional() });

interface LegOptions {
  timeoutMs: number;
  rssFile: string;
  onSpawn: (c: ChildProcess) => void;
}

export async function curlRoundtrip(a: CurlArgs, opts: LegOptions): Promise<CurlRoundtrip> {
  const json = `${a.file}.json`;
  try {
    const download = await curl('download', curlDownloadArgs(a), opts);
    const srcRecord = await curl('GET image', curlRecordArgs(a, a.src, json), opts);
    const want = recordSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    const sha = await hashTool('sha512sum', a.file, opts);
    if (sha.hex !== want.os_hash_value) {
      throw new VerifyMismatch(`curl+verify: downloaded file has sha512 ${sha.hex.slice(0, 16)}…; Glance says ${want.os_hash_value?.slice(0, 16)}…`);
    }
    const shaUp = await hashTool('sha512sum', a.file, opts);
    const upload = await curl('upload', curlUploadArgs(a), opts);
    const dstRecord = await curl('GET image', curlRecordArgs(a, a.dst, json), opts);
    const got = recordSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    if (got.os_hash_value !== shaUp.hex) {
      throw new VerifyMismatch(`curl+verify: Glance stored os_hash_value ${got.os_hash_value?.slice(0, 16)}…, local sha512sum ${shaUp.hex.slice(0, 16)}…`);
    }
    const peak = (...xs: (number | undefined)[]) => Math.max(...xs.map((x) => x ?? 0)) || undefined;
    return {
      download: { ms: download.ms, peakRssKiB: download.peakRssKiB },
      upload: { ms: upload.ms, peakRssKiB: upload.peakRssKiB },
      downloadVerified: {
        ms: download.ms + srcRecord.ms + sha.ms,
        peakRssKiB: peak(download.peakRssKiB, srcRecord.peakRssKiB, sha.peakRssKiB),
      },
      uploadVerified: { ms: shaUp.ms + upload.ms + dstRecord.ms, peakRssKiB: peak(shaUp.peakRssKiB, upload.peakRssKiB, dstRecord.peakRssKiB) },
      toolMs: { sha512sum: sha.ms, sha512sumUpload: shaUp.ms },
    };
  } finally {
    rmSync(json, { force: true });
  }
}

async function curl(what: string, args: string[], opts: LegOptions): Promise<CurlLeg> {
  const run = await runMeasured('curl', args, opts);
  // curl's own time_total leaves out process start-up, like the in-process timing of snapflow.
  const m = /^(\d{3}) ([\d.]+)$/.exec(run.stdout.trim());
  if (run.code !== 0 || !m || !m[1]!.startsWith('2')) {
    throw new Error(`curl ${what} failed (exit ${run.code ?? run.signal}, ${run.stdout.trim() || 'no status'}): ${run.stderr.trim()}`);
  }
  return { ms: Number(m[2]) * 1000, peakRssKiB: run.peakRssKiB };
}

/** coreutils hash tool; timed by wall clock, start-up included (a few ms against seconds). */
async function hashTool(tool: 'sha512sum', file: string, opts: LegOptions): Promise<CurlLeg & { hex: string }> {
  const run: MeasuredRun = await runMeasured(tool, [file], opts);
  const hex = /^([0-9a-f]+)\s/.exec(run.stdout)?.[1];
  if (run.code !== 0 || !hex) throw new Error(`${tool} failed (exit ${run.code ?? run.signal}): ${run.stderr.trim()}`);
  return { ms: run.wallMs, peakRssKiB: run.peakRssKiB, hex };
}
