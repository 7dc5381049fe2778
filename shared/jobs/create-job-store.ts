import type { JobDb, JobDialect } from './job-db';
import { migrateJobDb } from './migrate';
import { claim } from './sql/claim';
import { claimSlot } from './sql/claim-slot';
import { commit, transition } from './sql/commit';
import { commitAndClaim } from './sql/commit-and-claim';
import { appendEvent, listEvents } from './sql/events';
import { finishSlot } from './sql/finish-slot';
import { getJob, getJobByIdempotencyKey } from './sql/get-job';
import { getJobs } from './sql/get-jobs';
import { heartbeat } from './sql/heartbeat';
import { insertJob } from './sql/insert-job';
import { insertUnlessLocked } from './sql/insert-unless-locked';
import { lastSlots } from './sql/last-slots';
import { listJobs } from './sql/list-jobs';
import { requestCancel } from './sql/request-cancel';
import { revokeLeases } from './sql/revoke-leases';
import { cancelRunnerTasks } from './sql/runner-task-cancel';
import { claimRunnerTask } from './sql/runner-task-claim';
import { listClaimableRunnerTasks } from './sql/runner-task-claimable';
import { findRunnerTask, getRunnerTask } from './sql/runner-task-get';
import { enqueueRunnerTask } from './sql/runner-task-insert';
import { updateRunnerTask } from './sql/runner-task-update';
import type { JobStore, RunnerTaskStore, ScheduleSlotStore } from './types';

export type SnapflowJobStore = JobStore &
  ScheduleSlotStore &
  RunnerTaskStore & {
    readonly dialect: JobDialect;
    commitAndClaim: NonNullable<JobStore['commitAndClaim']>;
  };

/**
 * The job store over any of the three dialect handles (open-sqlite-node, open-postgres-node,
 * open-d1). Every method takes an optional `now` so tests and the engine control time.
 */
export function createJobStore(jdb: JobDb): SnapflowJobStore {
  const t = (now?: number) => now ?? Date.now();
  return {
    dialect: jdb.dialect,
    migrate: () => migrateJobDb(jdb),
    insertJob: (job, event) => insertJob(jdb, job, event, t()),
    insertUnlessLocked: (job, event) => insertUnlessLocked(jdb, job, event, t()),
    getJob: (id) => getJob(jdb, id),
    getJobByIdempotencyKey: (key) => getJobByIdempotencyKey(jdb, key),
    listJobs: (filter) => listJobs(jdb, filter),
    claim: (opts) => claim(jdb, opts, t(opts.now)),
    revokeLeases: (opts) => revokeLeases(jdb, opts, t(opts.now)),
    heartbeat: (id, owner, leaseMs, progress, now) => heartbeat(jdb, id, owner, leaseMs, progress, t(now)),
    commit: (id, owner, patch, event, now) => commit(jdb, id, owner, patch, event, t(now)),
    commitAndClaim: (id, owner, patch, event, next, now) => commitAndClaim(jdb, id, owner, patch, event, next, t(now)),
    transition: (id, from, patch, event, now) => transition(jdb, id, from, patch, event, t(now)),
    requestCancel: (id, event, now) => requestCancel(jdb, id, event, t(now)),
    appendEvent: (jobId, event) => appendEvent(jdb, jobId, event, t(event.at)),
    listEvents: (jobId, afterSeq, limit) => listEvents(jdb, jobId, afterSeq, limit),
    claimSlot: (schedule, slot, o) => claimSlot(jdb, schedule, slot, o.owner, o.staleMs, t(o.now)),
    finishSlot: (schedule, slot, owner, outcome, now) => finishSlot(jdb, schedule, slot, owner, outcome, t(now)),
    lastSlots: (schedules) => lastSlots(jdb, schedules),
    getJobs: (ids) => getJobs(jdb, ids),
    enqueueRunnerTask: (task, now) => enqueueRunnerTask(jdb, task, t(now)),
    getRunnerTask: (id) => getRunnerTask(jdb, id),
    findRunnerTask: (jobId, step, key) => findRunnerTask(jdb, jobId, step, key),
    listClaimableRunnerTasks: (now, limit) => listClaimableRunnerTasks(jdb, now, limit),
    claimRunnerTask: (opts) => claimRunnerTask(jdb, opts, t(opts.now)),
    updateRunnerTask: (update) => updateRunnerTask(jdb, update, t(update.now)),
    cancelRunnerTasks: (jobId, now) => cancelRunnerTasks(jdb, jobId, t(now)),
    close: () => jdb.close(),
  };
}
