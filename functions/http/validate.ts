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

/** A dotted path; a key that is empty or contains a dot is written `["a.b"]` so the path stays unambiguous. */
export function fieldPath(segments: readonly PropertyKey[]): string {
  return segments
    .map(String)
    .map((k, i) => (k === '' || k.includes('.') || k.includes('[') ? `[${JSON.stringify(k)}]` : i === 0 ? k : `.${k}`))
    .join('');
}

/**
 * One problem per issue; an unknown key names the key itself ("to.y"), not its parent. A
 * problem with the whole input (not an object, a rule across fields) names the input part.
 */
export function problemsOf(issues: readonly z.core.$ZodIssue[], input?: unknown, where = ''): FieldProblem[] {
  const named = (segments: readonly PropertyKey[]) => fieldPath(segments) || where;
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ field: named([...issue.path, k]), message: 'unknown field' }));
    }
    const missing = input !== undefined && issue.code !== 'custom' && isMissing(input, issue.path);
    return [{ field: named(issue.path), message: missing ? 'required' : issue.message }];
  });
}

export type InputPart = 'body' | 'query' | 'path';

export function invalidInput(issues: readonly z.core.$ZodIssue[], where: InputPart, input?: unknown) {
  const problems = problemsOf(issues, input, where);
  const first = problems[0] ?? { field: where, message: 'invalid input' };
  const message = first.field === where ? `invalid ${where}: ${first.message}` : `${first.field}: ${first.message}`;
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
  if (text.trim() === '') throw badRequest('invalid_json', 'request body must be a JSON object', 'body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'request body is not valid JSON', 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('invalid_json', 'request body must be a JSON object', 'body');
  }
  return value as Record<string, unknown>;
}
