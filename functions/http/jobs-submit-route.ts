// POST /v1/jobs: the v1 submission contract. Order of checks: auth (401/403 scope) →
// Idempotency-Key → JSON → schema (400 with the field path) → targets (403) → dry run
// (200, touches nothing) or preflight (404 unknown server; resolves the lock key) → submit
// (202 new / 200 replay / 409 different body / 409 busy server).
import { z } from 'zod';
import { canTarget, describeTarget, type Principal } from '../../shared/auth/principal';
import { planOf, type WorkflowDefinition } from '../../shared/engine/define';
import { InvalidParamsError, LockBusyError, UnknownKindError } from '../../shared/engine/errors';
import type { Job } from '../../shared/jobs/types';
import type { JobRequestBase, ResolvedLock } from '../submit-preflight';
import { serverBusyError } from '../submit-preflight';
import { type AnyRoute, authResponses, defineRoute, errorReply } from './api-route';
import type { AppDeps } from './app-deps';
import { badRequest, conflict, forbidden } from './envelope';
import { targetsOfRequest } from './job-access';
import { toSubmitView } from './job-view';
import { dryRunReply, idempotencyKeyHeader, submitReply } from './schemas';
import { invalidInput, parseWith, readJsonObject } from './validate';

/** Default engine params: the request minus the HTTP-level fields. */
export function defaultToParams(req: JobRequestBase): unknown {
  const { kind: _kind, dryRun: _dryRun, ...params } = req;
  return params;
}

/** The v1 contract: one strict schema per deployed kind, discriminated on `kind`. */
export function jobRequestContract(workflows: readonly WorkflowDefinition<any>[]): z.ZodType {
  const schemas = workflows.map((w) => w.request).filter((s): s is z.ZodType => s !== undefined);
  if (schemas.length === 0) throw new TypeError('no workflow declares its request schema');
  if (schemas.length === 1) return schemas[0]!;
  // any: the options are the workflows' own strict objects, each with a literal `kind`
  return z.discriminatedUnion('kind', schemas as unknown as [z.ZodObject<any>, z.ZodObject<any>, ...z.ZodObject<any>[]]);
}

/**
 * Keys are scoped to the caller: one token cannot fetch another's job by guessing its key,
 * nor collide with the scheduler's `schedule:…` keys.
 */
export function scopedIdempotencyKey(principal: Principal, key: string): string {
  return `api:${encodeURIComponent(principal.name)}:${key}`;
}

/** Stable JSON (sorted keys) so two equal bodies compare equal whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function splitDryRun(body: Record<string, unknown>): { dryRun: boolean; rest: Record<string, unknown> } {
  const { dryRun, ...rest } = body;
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw badRequest('invalid_body', 'dryRun: must be a boolean', 'dryRun');
  return { dryRun: dryRun === true, rest };
}

function workflowParams(wf: WorkflowDefinition<any>, raw: unknown): unknown {
  const r = wf.params.safeParse(raw);
  if (!r.success) throw invalidInput(r.error.issues, 'body', raw);
  return r.data;
}

export function submitRoute(deps: AppDeps): AnyRoute {
  const toParams = deps.toParams ?? defaultToParams;
  const byKind = new Map(deps.workflows.map((wf) => [wf.kind, wf]));
  const requestContract = deps.jobRequestSchema ?? jobRequestContract(deps.workflows);

  function workflowOf(kind: string): WorkflowDefinition<any> {
    const wf = byKind.get(kind);
    if (!wf) throw badRequest('unknown_kind', `kind: "${kind}" is not available on this deployment`, 'kind');
    return wf;
  }

  return defineRoute({
    method: 'post',
    path: '/v1/jobs',
    summary: 'Submit a job (or a dry run with "dryRun": true)',
    scope: 'submit',
    targets: 'forbidden',
    headers: z.object({
      'Idempotency-Key': idempotencyKeyHeader.optional().describe('the same key again returns the first job (200); a different body is a 409'),
    }),
    body: requestContract,
    responses: {
      202: { description: 'job accepted', schema: submitReply },
      200: { description: 'dry run plan, or the job an earlier request with the same Idempotency-Key made', schema: z.union([dryRunReply, submitReply]) },
      400: { description: 'invalid body (error.field names the path), unknown cloud', schema: errorReply },
      ...authResponses(),
      404: { description: 'unknown server', schema: errorReply },
      409: { description: 'server busy or ambiguous; idempotency_mismatch', schema: errorReply },
      415: { description: 'body is not application/json', schema: errorReply },
      422: {
        description:
          'the source cannot be copied (clone, move, rename): volume-backed, or a Windows guest for a move; a discard of a server snapflow did not make',
        schema: errorReply,
      },
    },
    async handle(c) {
      const principal = c.var.principal;
      const rawKey = c.req.header('Idempotency-Key');
      let key: string | null = null;
      if (rawKey !== undefined) {
        const r = idempotencyKeyHeader.safeParse(rawKey);
        if (!r.success) throw badRequest('invalid_header', `Idempotency-Key: ${r.error.issues[0]?.message ?? 'invalid'}`, 'Idempotency-Key');
        key = r.data;
      }
      const { dryRun, rest } = splitDryRun(await readJsonObject(c));
      const req = parseWith(requestContract as z.ZodType<JobRequestBase>, rest, 'body');

      const wf = workflowOf(req.kind);
      for (const t of targetsOfRequest(wf, req)) {
        if (!canTarget(principal, t)) {
          const field = t.cloud === req.cloud ? 'server' : 'to.cloud';
          throw forbidden(`token "${principal.name}" may not target ${describeTarget(t)}`, field);
        }
      }

      let params = toParams(req);
      // A kind whose dry run must read the cloud to say what it would do (prune: which images
      // go) runs it as a read-only job; the others answer with their plan.
      if (dryRun && wf.dryRun === 'job') params = { ...(params as object), dryRun: true };
      else if (dryRun) {
        return c.json({ dryRun: true as const, kind: req.kind, plan: planOf(wf, workflowParams(wf, params)) }, 200);
      }

      const scopedKey = key === null ? null : scopedIdempotencyKey(principal, key);
      // A replay answers with the first job even if the server is busy with that very job.
      let lock: ResolvedLock | undefined | undefined;
      if (deps.preflight && (scopedKey === null || !(await deps.store.getJobByIdempotencyKey(scopedKey)))) lock = await deps.preflight(req);

      let out: { job: Job; created: boolean };
      try {
        out = await deps.engine.submit(req.kind, params, {
          idempotencyKey: scopedKey,
          requestedBy: principal.name,
          // busy server → 409, decided in one atomic insert (a check before it races)
          exclusive: true,
          ...(lock ? { lockKey: lock.lockKey, lockAlias: lock.lockAlias ?? null } : {}),
        });
      } catch (err) {
        if (err instanceof LockBusyError) throw serverBusyError(req.server ?? req.cloud, err.holder);
        if (err instanceof InvalidParamsError) throw invalidInput(err.issues as z.core.$ZodIssue[], 'body', params);
        if (err instanceof UnknownKindError) throw badRequest('unknown_kind', `kind: "${req.kind}" is not available on this deployment`, 'kind');
        throw err;
      }
      const { job, created } = out;
      // A replay must be the same request: the engine stored the parsed params, so compare
      // those (defaults applied, key order irrelevant).
      if (!created && (job.kind !== req.kind || canonicalJson(job.params) !== canonicalJson(workflowParams(wf, params)))) {
        throw conflict('idempotency_mismatch', `Idempotency-Key was already used for a different request (job ${job.id})`);
      }
      c.header('Location', `/v1/jobs/${encodeURIComponent(job.id)}`);
      return c.json(toSubmitView(job), created ? 202 : 200);
    },
  });
}
