// Resolve what a discard deletes, and prove snapflow made it. The server must be the new
// server of a clone job: named by `fromJob` (the server the request names must then be that
// job's), or found by the request's name and its snapflow_job metadata, which must name a
// clone job that made exactly this server (metadata alone can be set by anyone; the job
// table says which server the clone made). A clone still running is waited for. A server
// that is already gone, or a clone that failed without leaving one, is nothing to delete,
// not an error: a pipeline's end must not fail because its start did. Read-only.
import { z } from 'zod';
import type { StepContext } from '../../shared/engine/define';
import { done, fail, wait } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { Server } from '../../shared/openstack/compute-schemas';
import { ConflictError, NotFoundError } from '../../shared/openstack/errors';
import { exactNameFilter } from '../../shared/openstack/nova-name';
import { orNull } from '../../shared/openstack/or-null';
import { type CloneRecord, cloneOfJob, describeCloneEnd } from '../workflows/clone-of-job';
import type { WorkflowDeps } from '../workflows/deps';
import { onCloud, POLL, permanent, RETRY } from '../workflows/step-support';
import { findJobImages, SNAPFLOW_TAGS } from '../workflows/tags';

const input = z.object({ cloud: z.string(), server: z.string(), fromJob: z.string().optional(), dryRun: z.boolean().default(false) });
const output = z.object({
  cloneJobId: z.string().nullable(),
  cloneState: z.string().nullable(),
  discardServerId: z.string().nullable(),
  discardServerName: z.string().nullable(),
  /** Where the clone's images may be (its source and target cloud entries). */
  cloneClouds: z.array(z.string()),
  cloneImageIds: z.array(z.string()),
  /** Why there is nothing to delete, or (dry run) what would happen. */
  discardNote: z.string().nullable(),
});
type Output = z.infer<typeof output>;
type Ctx = StepContext<z.output<typeof input>>;

const nothing = (note: string): Output => ({
  cloneJobId: null,
  cloneState: null,
  discardServerId: null,
  discardServerName: null,
  cloneClouds: [],
  cloneImageIds: [],
  discardNote: note,
});

const refuse = (message: string, code = 'not_made_by_snapflow') => fail(permanent(message, { code }));

/** The clone's server as Nova has it now, or null once gone; tagged with the clone job, else a refusal. */
async function serverOfClone(deps: WorkflowDeps, ctx: Ctx, clone: CloneRecord): Promise<Server | null> {
  const os = deps.openstack(clone.targetCloud, ctx);
  if (clone.newServerId !== null) {
    const server = await orNull(os.compute.getServer(clone.newServerId));
    return server && server.status !== 'DELETED' ? server : null;
  }
  // the clone lost the create's answer or failed before recording it: its tag finds the server
  const list = await os.compute.listAllServers({ filters: { name: exactNameFilter(clone.newName) } });
  return list.find((s) => s.name === clone.newName && s.metadata[SNAPFLOW_TAGS.job] === clone.jobId) ?? null;
}

async function cloneImages(deps: WorkflowDeps, ctx: Ctx, clone: CloneRecord): Promise<{ clouds: string[]; ids: string[] }> {
  const clouds = [...new Set([clone.sourceCloud, clone.targetCloud])];
  const ids: string[] = [];
  for (const cloud of clouds) ids.push(...(await findJobImages(deps.openstack(cloud, ctx), clone.jobId)).map((i) => i.id));
  return { clouds, ids };
}

export function resolveDiscardStep(deps: WorkflowDeps) {
  return step({
    name: 'resolve-discard',
    input,
    output,
    readOnly: true,
    retry: RETRY.read,
    // waiting for the clone job to end
    wait: POLL.busy,
    timeout: 120_000,
    async run(ctx) {
      const { cloud, server: named, fromJob, dryRun } = ctx.input;
      let found: Server | null = null;
      let jobId = fromJob;
      let why = `fromJob ${fromJob}`;
      if (jobId === undefined) {
        try {
          found = await onCloud(deps, ctx).compute.resolveServer(named);
        } catch (err) {
          if (err instanceof NotFoundError) return done(nothing(`no server ${JSON.stringify(named)} in cloud "${cloud}": nothing to delete`));
          if (err instanceof ConflictError && err.status === undefined) {
            return refuse(`server ${JSON.stringify(named)} is ambiguous: ${err.serverMessage}; use its id`, 'ambiguous_server');
          }
          throw err;
        }
        jobId = found.metadata[SNAPFLOW_TAGS.job];
        const which = `server ${found.id} (${found.name})`;
        if (!jobId) return refuse(`${which} was not made by snapflow (it has no ${SNAPFLOW_TAGS.job} metadata): discard deletes only servers a clone made`);
        why = `${which} carries ${SNAPFLOW_TAGS.job}=${jobId}`;
      }
      const of = await cloneOfJob(deps, jobId, why, ctx.job.createdAt);
      if (of.kind === 'fail') return fail(of.error);
      if (of.kind === 'wait') {
        if (dryRun) return done({ ...nothing(`${of.reason}: the server it makes would be deleted once it ends`), cloneJobId: jobId });
        return wait({ reason: of.reason });
      }
      const clone = of.clone;
      if (clone.targetCloud !== cloud) {
        return refuse(`clone job ${clone.jobId} made its server in cloud "${clone.targetCloud}", not "${cloud}"`, 'discard_cloud');
      }
      const made = `clone job ${clone.jobId} made server ${JSON.stringify(clone.newName)}${clone.newServerId ? ` (${clone.newServerId})` : ''}`;
      if (found) {
        const same = clone.newServerId !== null ? found.id === clone.newServerId : found.name === clone.newName;
        if (!same) return refuse(`${why}, but ${made}, not ${found.id}`);
      } else {
        if (named !== clone.newName && named !== clone.newServerId) return refuse(`${made}, not ${JSON.stringify(named)}`, 'discard_server_mismatch');
        found = await serverOfClone(deps, ctx, clone);
        if (found && found.metadata[SNAPFLOW_TAGS.job] !== clone.jobId) {
          return refuse(`server ${found.id} does not carry ${SNAPFLOW_TAGS.job}=${clone.jobId} (its metadata was changed): not deleting it`);
        }
      }
      const images = await cloneImages(deps, ctx, clone);
      const gone =
        clone.state === 'succeeded'
          ? `the server clone job ${clone.jobId} made is already gone`
          : `clone job ${clone.jobId} ${describeCloneEnd(clone)} and left no server`;
      return done({
        cloneJobId: clone.jobId,
        cloneState: clone.state,
        discardServerId: found?.id ?? null,
        discardServerName: found?.name ?? null,
        cloneClouds: images.clouds,
        cloneImageIds: images.ids,
        discardNote: found ? null : `${gone}: nothing to delete${images.ids.length ? ' but its images' : ''}`,
      });
    },
  });
}
