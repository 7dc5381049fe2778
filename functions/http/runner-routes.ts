// The sysprep runners' routes (scope `runner`), the wire protocol of
// shared/runner/protocol.ts: a long-polled claim, and the heartbeat, complete and fail of a
// leased task. Bodies are validated with the protocol's strict schemas (a 400 names the
// field); a call under a lease that was taken over, or about a task that is gone, is a 409
// `lease_lost` and changes nothing. The rules themselves are functions/runner-task-service.ts.
import { z } from 'zod';
import { ClaimRequest, CompleteRequest, FailRequest, HeartbeatRequest, HeartbeatResponse, LeaseLost, Task } from '../../shared/runner/protocol';
import type { RunnerTaskService } from '../runner-task-service';
import { type AnyRoute, authResponses, defineRoute, errorReply } from './api-route';
import { ApiError } from './envelope';
import type { RunnerTaskSignal } from './runner-task-signal';
import { parseWith, readJsonObject } from './validate';

export interface RunnerRouteDeps {
  tasks: RunnerTaskService;
  signal: RunnerTaskSignal;
  /** How often a waiting claim looks at the table again (tasks queued elsewhere, expired leases); default 1000 ms. */
  recheckMs?: number;
}

const taskIdParams = z.object({ id: z.string().min(1).max(200).describe('runner task id') });
const reportReply = z.object({ taskId: z.string(), state: z.enum(['queued', 'leased', 'done', 'failed', 'cancelled']) });

const leaseLostDoc = { description: 'the lease was taken over (or the task is gone): stop, report nothing more', schema: LeaseLost };
const badBodyDoc = { description: 'invalid body (the field is named)', schema: errorReply };

function leaseLost(id: string): ApiError {
  return new ApiError(409, 'lease_lost', `runner task ${id.slice(0, 200)} is not leased under this token (taken over, finished or unknown)`);
}

export function runnerRoutes(deps: RunnerRouteDeps): AnyRoute[] {
  const recheckMs = Math.max(10, deps.recheckMs ?? 1000);
  const { tasks } = deps;

  const claim = defineRoute({
    method: 'post',
    path: '/v1/runner/claim',
    summary: 'Claim an image-cleaning task (long-poll up to waitSeconds)',
    scope: 'runner',
    // a runner token limited to targets gets only tasks inside them; others wait (204)
    targets: 'none',
    body: ClaimRequest,
    responses: {
      200: { description: 'a task, leased to the caller', schema: Task },
      204: { description: 'no task within waitSeconds' },
      400: badBodyDoc,
      ...authResponses(),
    },
    async handle(c) {
      const body = parseWith(ClaimRequest, await readJsonObject(c), 'body');
      const deadline = Date.now() + body.waitSeconds * 1000;
      // watch before the first attempt: a task queued between the attempt and the wait is kept
      const watch = deps.signal.watch();
      try {
        for (;;) {
          const task = await tasks.claim(c.var.principal, body.runner);
          if (task) return c.json(task, 200);
          const left = deadline - Date.now();
          if (left <= 0) break;
          if ((await watch.next(Math.min(recheckMs, left), c.req.raw.signal)) === 'aborted') break;
        }
        return c.body(null, 204);
      } finally {
        watch.close();
      }
    },
  });

  const heartbeat = defineRoute({
    method: 'post',
    path: '/v1/runner/tasks/{id}/heartbeat',
    summary: "Keep a task's lease and report the runner's phase and bytes; answers cancel when the job no longer wants it",
    scope: 'runner',
    targets: 'none',
    params: taskIdParams,
    body: HeartbeatRequest,
    responses: { 200: { description: 'the lease, extended', schema: HeartbeatResponse }, 400: badBodyDoc, ...authResponses(), 409: leaseLostDoc },
    async handle(c, { params }) {
      const body = parseWith(HeartbeatRequest, await readJsonObject(c), 'body');
      const answer = await tasks.heartbeat(params.id, body);
      if (!answer.ok) throw leaseLost(params.id);
      return c.json(answer.value, 200);
    },
  });

  const report = (what: 'complete' | 'fail') =>
    defineRoute({
      method: 'post',
      path: `/v1/runner/tasks/{id}/${what}`,
      summary:
        what === 'complete'
          ? 'Report a task done: the cleaned image and the digests checked'
          : 'Report a task failed: code, message, whether another attempt may succeed',
      scope: 'runner',
      targets: 'none',
      params: taskIdParams,
      body: what === 'complete' ? CompleteRequest : FailRequest,
      responses: { 200: { description: 'recorded', schema: reportReply }, 400: badBodyDoc, ...authResponses(), 409: leaseLostDoc },
      async handle(c, { params }) {
        const raw = await readJsonObject(c);
        const answer =
          what === 'complete'
            ? await tasks.complete(params.id, parseWith(CompleteRequest, raw, 'body'))
            : await tasks.fail(params.id, parseWith(FailRequest, raw, 'body'));
        if (!answer.ok) throw leaseLost(params.id);
        return c.json({ taskId: params.id, state: answer.value.state }, 200);
      },
    });

  return [claim, heartbeat, report('complete'), report('fail')];
}
