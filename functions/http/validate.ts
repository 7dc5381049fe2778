// Input parsing for every route: a bad body or query is a 400 naming the field path,
// never a 500. zod 4 messages name the expected type, not the received value, so a
// secret pasted into the wrong field does not come back in the error.
import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest } from './envelope';

export interface FieldProblem {
  field: string;
  message: string;
}

/** True when `path` names a key absent from an object in `input` (zod words it as a type error). */
function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let v: unknown = input;
  for (const k of path.slice(0, -1)) {
    if (typeof v !== 'object' || v === null) return false;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return typeof v === 'object' && v !== null && (v as Record<PropertyKey, unknown>)[path[path.length - 1]!] === undefined;
}

/** One problem per issue; an unknown key names the key itself ("to.y"), not its parent. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], input?: unknown): FieldProblem[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ field: [...path, k].join('.'), message: 'unknown field' }));
    }
    const missing = input !== undefined && issue.code !== 'custom' && isMissing(input, issue.path);
    return [{ field: path.join('.'), message: missing ? 'required' : issue.message }];
  });
}

/** The 400 for a failed parse: `field` is the first problem, `details` lists them all. */
export type InputPart = 'body' | 'query' | 'path';

export function invalidInput(issues: readonly z.core.$ZodIssue[], where: InputPart, input?: unknown) {
  const problems = problemsOf(issues, input);
  const first = problems[0] ?? { field: '', message: 'invalid input' };
  const message = first.field ? `${first.field}: ${first.message}` : `invalid ${where}: ${first.message}`;
  return badRequest(`invalid_${where}`, message, first.field, problems);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: InputPart): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidInput(r.error.issues, where, value);
  return r.data;
}

/** The request body as JSON, or a 400 (empty, not JSON, or not an object). */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') throw badRequest('invalid_json', 'request body must be a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('invalid_json', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
