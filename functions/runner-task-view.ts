// A leased task as the runner receives it (protocol.ts `Task`). The lease token exists only
// here and in the runner's hands: the table keeps its hash.
import type { RunnerTask } from '../shared/jobs/runner-task';
import type { Task } from '../shared/runner/protocol';

export function toProtocolTask(task: RunnerTask, leaseToken: string, ttlSeconds: number): Task {
  return {
    id: task.id,
    jobId: task.jobId,
    attempt: task.attempt,
    lease: { token: leaseToken, expiresAt: new Date(task.leaseExpiresAt ?? Date.now()).toISOString(), ttlSeconds },
    source: task.source,
    clean: task.clean,
    target: task.target,
  };
}
