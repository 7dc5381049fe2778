import type { OpenStackClient } from '../shared/openstack/client';
import type { ExpectedDigests } from '../shared/openstack/image-integrity';
import type { HashAlgorithm } from '../shared/openstack/transport';
import type { Task } from '../shared/runner/protocol';
import { TaskError } from './task-error';

// Step 2: the source image straight to a file (never into memory), hashed on the way and
// checked against what the service recorded when it made the task *and* Glance's current
// record (os_hash_value; the md5 checksum only for an image without a multihash), and the
// size. A dropped connection continues with Range requests from where the file stopped.

export interface DownloadOutcome {
  bytes: number;
  /** The digests that matched, by algorithm. */
  verified: Partial<Record<HashAlgorithm, string>>;
  resumes: number;
  warnings: string[];
}

export interface DownloadOptions {
  signal: AbortSignal;
  resumeAttempts: number;
  resumeDelayMs: number;
  onProgress: (bytes: number) => void;
  onResume: (info: { attempt: number; from: number; reason: string }) => void;
}

export function expectedSourceDigests(source: Task['source']): ExpectedDigests {
  if (source.hashAlgo && source.hashValue) return { [source.hashAlgo]: source.hashValue };
  if (source.checksum) return { md5: source.checksum };
  return {};
}

export async function downloadSource(task: Task, client: OpenStackClient, file: string, opts: DownloadOptions): Promise<DownloadOutcome> {
  const summary = await client.image.download(
    task.source.imageId,
    { path: file },
    {
      signal: opts.signal,
      expected: expectedSourceDigests(task.source),
      onProgress: opts.onProgress,
      resume: { attempts: opts.resumeAttempts, delayMs: opts.resumeDelayMs, onResume: opts.onResume },
    },
  );
  if (summary.bytes !== task.source.size) {
    throw new TaskError('integrity_mismatch', `downloaded ${summary.bytes} bytes, the task says the image has ${task.source.size}`, false);
  }
  const verified: Partial<Record<HashAlgorithm, string>> = {};
  for (const alg of summary.verified) verified[alg] = summary.digests[alg];
  const warnings = summary.verified.length ? [] : [`source image ${task.source.imageId} has no digest in Glance: only its size was checked`];
  return { bytes: summary.bytes, verified, resumes: summary.resumes ?? 0, warnings };
}
