// The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with
// (z.toJSONSchema emits JSON Schema 2020-12, which is OpenAPI 3.1's dialect).
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from './app-deps';
import type { AppEnv } from './app-env';
import { renderDocsPage } from './docs-page';
import * as s from './schemas';

type Scope = 'read' | 'submit' | 'admin' | null;
type ResponseDoc = [string, z.ZodType | 'text/plain' | 'text/html' | null];

interface RouteDoc {
  method: 'get' | 'post';
  path: string;
  summary: string;
  scope: Scope;
  query?: z.ZodObject;
  pathParams?: string[];
  headers?: { name: string; description: string; schema: z.ZodType }[];
  body?: z.ZodType;
  /** status → [description, schema or media type for non-JSON] */
  responses: Record<string, ResponseDoc>;
}

const E = s.errorReply;
const authErrors: Record<'401' | '403', ResponseDoc> = {
  '401': ['missing or unknown bearer token', E],
  '403': ['token lacks the scope or may not target this', E],
};

export function routeDocs(jobRequest: z.ZodType): RouteDoc[] {
  const idParam = ['id'];
  return [
    {
      method: 'post', path: '/v1/jobs', summary: 'Submit a job (or a dry run with "dryRun": true)', scope: 'submit',
      headers: [{ name: 'Idempotency-Key', description: 'the same key again returns the first job (200); a different body is a 409', schema: s.idempotencyKeyHeader }],
      body: jobRequest,
      responses: {
        '202': ['job accepted', s.submitReply], '200': ['dry run plan, or the job an earlier request with the same Idempotency-Key made', z.union([s.dryRunReply, s.submitReply])],
        '400': ['invalid body (error.field names the path)', E], ...authErrors, '409': ['idempotency_mismatch', E],
      },
    },
    {
      method: 'get', path: '/v1/jobs', summary: 'List jobs, newest first', scope: 'read', query: s.listJobsQuery,
      responses: { '200': ['a page of jobs; pass `next` as `cursor` for the next page', s.jobListReply], '400': ['invalid query', E], ...authErrors },
    },
    {
      method: 'get', path: '/v1/jobs/{id}', summary: 'Get a job', scope: 'read', pathParams: idParam,
      responses: { '200': ['the job', s.jobReply], ...authErrors, '404': ['unknown job', E] },
    },
    {
      method: 'get', path: '/v1/jobs/{id}/events', summary: "A job's events, oldest first", scope: 'read', pathParams: idParam, query: s.eventsQuery,
      responses: { '200': ['events after `after`', s.eventsReply], '400': ['invalid query', E], ...authErrors, '404': ['unknown job', E] },
    },
    {
      method: 'post', path: '/v1/jobs/{id}/cancel', summary: 'Cancel a job (cleanup runs if it already created something)', scope: 'submit', pathParams: idParam,
      responses: { '202': ['cancel accepted', s.jobReply], ...authErrors, '404': ['unknown job', E], '409': ['job already finished', E] },
    },
    {
      method: 'get', path: '/v1/jobs/{id}/wait', summary: 'Long-poll until the job finishes or the timeout passes', scope: 'read', pathParams: idParam, query: s.waitQuery,
      responses: { '200': ['the job; timedOut tells whether it is still unfinished', s.waitReply], '400': ['invalid query', E], ...authErrors, '404': ['unknown job', E] },
    },
    {
      method: 'get', path: '/v1/schedules', summary: 'List schedules with their next run', scope: 'read',
      responses: { '200': ['schedules', s.schedulesReply], ...authErrors },
    },
    {
      method: 'post', path: '/v1/schedules/{name}/run', summary: "Run a schedule now", scope: 'admin', pathParams: ['name'],
      responses: { '202': ['jobs submitted', s.scheduleRunReply], ...authErrors, '404': ['unknown schedule', E], '422': ['no job started: every target failed (details.errors)', E] },
    },
    {
      method: 'get', path: '/v1/snapshots', summary: 'List snapflow snapshots with policy and age', scope: 'read', query: s.snapshotsQuery,
      responses: { '200': ['snapshots', s.snapshotsReply], '400': ['invalid query', E], ...authErrors },
    },
    { method: 'get', path: '/healthz', summary: 'Health, and whether it runs against the simulator', scope: null, responses: { '200': ['healthy or degraded', s.healthReply], '503': ['down', s.healthReply] } },
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics', scope: null, responses: { '200': ['text exposition format 0.0.4', 'text/plain'] } },
    { method: 'get', path: '/openapi.json', summary: 'This document', scope: null, responses: { '200': ['OpenAPI 3.1', null] } },
    { method: 'get', path: '/docs', summary: 'Readable API reference', scope: null, responses: { '200': ['HTML', 'text/html'] } },
  ];
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function queryParameters(q: z.ZodObject) {
  const schema = jsonSchema(q, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => ({
    name, in: 'query', required: (schema.required ?? []).includes(name), schema: p,
  }));
}

export function buildOpenApi(jobRequest: z.ZodType): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routeDocs(jobRequest)) {
    const parameters = [
      ...(r.pathParams ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ? queryParameters(r.query) : []),
      ...(r.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: jsonSchema(h.schema, 'input') })),
    ];
    const responses = Object.fromEntries(
      Object.entries(r.responses).map(([status, [description, body]]) => {
        if (body === null) return [status, { description }];
        if (typeof body === 'string') return [status, { description, content: { [body]: { schema: { type: 'string' } } } }];
        return [status, { description, content: { 'application/json': { schema: jsonSchema(body, 'output') } } }];
      }),
    );
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      operationId: `${r.method}${r.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
      ...(r.scope ? { security: [{ bearer: [r.scope] }], 'x-scope': r.scope } : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'snapflow',
      version: '1',
      description: 'Durable OpenStack VM snapshots, rollbacks and pruning as jobs. Every error is {"error":{"code","message","field"?,"details"?,"requestId"?}}.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'scopes: read, submit, admin' } } },
    paths,
  };
}

export function registerOpenApiRoute(app: Hono<AppEnv>, deps: AppDeps): void {
  // Built lazily once: the schemas do not change while the process runs.
  let doc: Record<string, unknown> | null = null;
  const get = () => (doc ??= buildOpenApi(deps.jobRequestSchema));
  app.get('/openapi.json', (c) => c.json(get()));
  app.get('/docs', (c) => c.html(renderDocsPage(get())));
}
