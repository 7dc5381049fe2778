import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompleteRequest, RunnerPhase, Task } from '../shared/runner/protocol';
import type { CloudClients } from './clouds';
import type { RunnerConfig } from './config';
import { downloadSource, expectedSourceDigests } from './download';
import { toolEnv } from './exec';
import { amendForSlc6, checkImage } from './image-check';
import type { RunnerLogger } from './logger';
import { requiredBytes, type SpaceLedger } from './space';
import { runSysprep } from './sysprep';
import { buildSysprepCommand, CLEANABLE_FORMATS } from './sysprep-command';
import { TaskError } from './task-error';
import { previousUploads, reuseResult, uploadCleaned } from './upload';
import { verifyCleaning } from './verify-cleaning';

// One task, start to end: the steps of the design card in order, each in its own file.
// Everything a task can get wrong is checked before the download (formats, whitelist,
// clouds, an image an earlier attempt already uploaded), and the free space before a byte
// is written. The caller owns the scratch directory, the lease and the report.

export interface PipelineDeps {
  config: RunnerConfig;
  clouds: CloudClients;
  space: SpaceLedger;
  log: RunnerLogger;
}

/** How the pipeline tells the heartbeat where it is. */
export interface Tracker {
  phase(phase: RunnerPhase, bytesTotal?: number): void;
  bytes(done: number): void;
}

export type PipelineResult = Omit<CompleteRequest, 'leaseToken'> & { reused: boolean };

export async function runPipeline(task: Task, dir: string, signal: AbortSignal, track: Tracker, deps: PipelineDeps): Promise<PipelineResult> {
  const { config, log } = deps;
  const logBase = { taskId: task.id, jobId: task.jobId };
  const format = task.source.diskFormat;
  track.phase('download', task.source.size);
  if (!(CLEANABLE_FORMATS as readonly string[]).includes(format)) {
    throw new TaskError('unsupported_format', `the runner cleans ${CLEANABLE_FORMATS.join(' and ')} images, not ${format}`, false);
  }
  if (task.target.diskFormat !== format) {
    throw new TaskError('unsupported_format', `the runner does not convert images (${format} to ${task.target.diskFormat})`, false);
  }
  const file = join(dir, `image.${format}`);
  const plan = buildSysprepCommand(task.clean, file, format, config.extraDeletePaths);
  const source = deps.clouds.get(task.source.cloud);
  const target = deps.clouds.get(task.target.cloud);

  // an earlier attempt may have uploaded and verified the image, then lost its `complete`
  const { reusable } = await previousUploads(target, task);
  if (reusable) {
    log.info('reusing the image an earlier attempt uploaded and verified', { ...logBase, imageId: reusable.id });
    const r = reuseResult(reusable);
    return {
      imageId: r.imageId,
      bytes: r.bytes,
      verified: { source: expectedSourceDigests(task.source), target: r.verified },
      warnings: [`reused image ${r.imageId}, uploaded and verified by an earlier attempt`],
      reused: true,
    };
  }

  let written = 0;
  const release = await deps.space.reserve(requiredBytes(task.source, config.headroom), () => written);
  try {
    const warnings: string[] = [];
    const downStarted = Date.now();
    const down = await downloadSource(task, source, file, {
      signal,
      resumeAttempts: config.download.resumeAttempts,
      resumeDelayMs: config.download.resumeDelayMs,
      onProgress: (n) => {
        written = n;
        track.bytes(n);
      },
      onResume: (info) => log.warn('download resumed after a dropped connection', { ...logBase, ...info }),
    });
    warnings.push(...down.warnings);
    // the transfer itself, apart from the phase's checks and logins (bench/runner.ts reads it)
    log.info('download done', { ...logBase, bytes: down.bytes, resumes: down.resumes, durationMs: Date.now() - downStarted });
    const env = toolEnv(config.libguestfs, join(dir, 'tmp'));
    const qemu = { qemuImg: config.tools.qemuImg, env, timeoutMs: config.timeouts.qemuImgMs, signal };

    signal.throwIfAborted();
    track.phase('check');
    const checked = await checkImage(file, format, qemu);
    warnings.push(...checked.warnings);
    if (task.clean.slc6) {
      signal.throwIfAborted();
      track.phase('amend');
      const { amended } = await amendForSlc6(file, checked.info, qemu);
      if (!amended) log.info('already qcow2 compat 0.10, or not qcow2: nothing to amend', logBase);
    }

    signal.throwIfAborted();
    track.phase('sysprep');
    const sp = await runSysprep(plan, { virtSysprep: config.tools.virtSysprep, env, timeoutMs: config.timeouts.sysprepMs, signal });
    log.info('virt-sysprep done', { ...logBase, mode: task.clean.mode, durationMs: sp.durationMs });

    signal.throwIfAborted();
    track.phase('verify');
    await verifyCleaning(file, format, plan, { guestfish: config.tools.guestfish, env, timeoutMs: config.timeouts.verifyMs, signal });

    signal.throwIfAborted();
    track.phase('upload', (await stat(file)).size);
    const upStarted = Date.now();
    const up = await uploadCleaned(task, target, file, { signal, onProgress: (n) => track.bytes(n) });
    log.info('upload done', { ...logBase, imageId: up.imageId, bytes: up.bytes, reused: up.reused, durationMs: Date.now() - upStarted });
    return { imageId: up.imageId, bytes: up.bytes, verified: { source: down.verified, target: up.verified }, warnings, reused: up.reused };
  } finally {
    release();
  }
}
