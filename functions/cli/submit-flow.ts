// What every submitting command does: build the v1 body, confirm a destructive kind, POST
// /v1/jobs (with Idempotency-Key), then print the plan of a dry run, or the job, or wait
// for it / watch it.
import type { ApiClient } from './api-client';
import type { DryRunJson, SubmitJson, WaitJson } from './api-types';
import { CliError } from './cli-error';
import { confirmOrExit } from './confirm';
import { EXIT, type ExitCode, exitCodeOfState } from './exit-codes';
import { jobOutcomeLine } from './format';
import { printJson, printLine } from './output';
import type { Body, SubmitKind } from './submit-kinds';
import { reportWaited, waitForJob } from './wait';
import { watchJob } from './watch';

export interface SubmitOptions {
  cloud: string;
  idempotencyKey?: string;
  dryRun?: boolean;
  wait?: boolean;
  watch?: boolean;
  yes?: boolean;
  timeout: number;
  json: boolean;
}

interface PruneResult {
  wouldDelete?: { id: string; name?: string | null }[];
  kept?: { id: string; name?: string | null }[];
  reasons?: Record<string, string>;
}

function printPruneDryRun(job: WaitJson, target: string): void {
  if (job.state !== 'succeeded') {
    printLine(jobOutcomeLine(job));
    return;
  }
  const r = (job.result ?? {}) as PruneResult;
  const name = (i: { id: string; name?: string | null }) => `${i.id}${i.name ? ` ${i.name}` : ''}`;
  const doomed = r.wouldDelete ?? [];
  printLine(`dry run: prune of ${target} would delete ${doomed.length} image(s) (nothing was deleted; job ${job.id})`);
  for (const i of doomed) printLine(`  delete ${name(i)}${r.reasons?.[i.id] ? `  (${r.reasons[i.id]})` : ''}`);
  for (const i of r.kept ?? []) printLine(`  keep   ${name(i)}${r.reasons?.[i.id] ? `  (${r.reasons[i.id]})` : ''}`);
}

interface DiscardResult {
  server?: { id: string; name?: string | null } | null;
  wouldDelete?: { server: boolean; images: string[] };
  cloneJobId?: string | null;
  reason?: string;
}

function printDiscardDryRun(job: WaitJson, target: string): void {
  if (job.state !== 'succeeded') {
    printLine(jobOutcomeLine(job));
    return;
  }
  const r = (job.result ?? {}) as DiscardResult;
  const images = r.wouldDelete?.images ?? [];
  const what = r.server ? `server ${r.server.id}${r.server.name ? ` ${r.server.name}` : ''}` : 'no server';
  printLine(
    `dry run: discard of ${target} would delete ${what} and ${images.length} image(s) of clone job ${r.cloneJobId ?? '-'} (nothing was deleted; job ${job.id})`,
  );
  for (const id of images) printLine(`  delete image ${id}`);
  if (r.reason) printLine(`  ${r.reason}`);
}

export async function submitJob(api: ApiClient, k: SubmitKind, server: string, fields: Body, o: SubmitOptions): Promise<ExitCode> {
  const target = `${o.cloud}/${server}`;
  const body: Body = { kind: k.kind, cloud: o.cloud, server, ...fields };
  if (k.destructive) {
    // a dry run touches nothing, so it needs no yes (the service still wants the flag)
    if (!o.dryRun) await confirmOrExit(k.question?.(target, body) ?? `${k.kind} ${target}?`, o.yes === true);
    body.confirm = true;
  }
  if (o.dryRun) body.dryRun = true;
  const headers: Record<string, string> = o.idempotencyKey !== undefined ? { 'Idempotency-Key': o.idempotencyKey } : {};
  const reply = await api.request<SubmitJson | DryRunJson>('POST', '/v1/jobs', { body, headers, kind: k.kind });

  if ('dryRun' in reply.body && reply.body.dryRun === true) {
    const plan = reply.body;
    if (o.json) printJson(plan);
    else {
      printLine(`dry run: ${k.kind} of ${target} would run (nothing was submitted):`);
      for (const [i, step] of plan.plan.entries()) printLine(`  ${i + 1}. ${step}`);
    }
    return EXIT.ok;
  }
  const job = reply.body as SubmitJson;
  if (typeof job.id !== 'string') throw new CliError(EXIT.serviceError, `unexpected reply from ${api.url}/v1/jobs: no job id`);

  // A prune's or discard's dry run is a read-only job: its result is the answer.
  if (o.dryRun) {
    const done = await waitForJob(api, job.id, o.timeout);
    if (o.json) printJson(done);
    else (k.kind === 'discard' ? printDiscardDryRun : printPruneDryRun)(done, target);
    return exitCodeOfState(done.state);
  }
  if (!o.json || (!o.wait && !o.watch)) {
    if (o.json) printJson(job);
    else
      printLine(
        reply.status === 200
          ? `${k.kind} job ${job.id} already submitted with this idempotency key (${job.state})`
          : `submitted ${k.kind} job ${job.id} (${job.state})`,
      );
  }
  if (o.watch) return watchJob(api, job.id, o.timeout, o.json);
  if (o.wait) return reportWaited(await waitForJob(api, job.id, o.timeout), o.json, o.timeout);
  return EXIT.ok;
}
