// How every zod failure is worded, in one place: configuration errors (one line each, with
// the file or variable as prefix) and the engine's one-line summaries (step input, params).
import type { z } from 'zod';

/** Dotted field path of a zod issue ("tokens.0.scopes.1"), or "" for the root. */
export function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map((p) => String(p)).join('.');
}

/**
 * One line per issue: "<prefix>: <path>: <message>". zod 4 messages name the expected
 * type or options, never the received value, so secrets in a bad field do not leak.
 */
export function formatIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const path = issuePath(issue);
    return path ? `${prefix}: ${path}: ${issue.message}` : `${prefix}: ${issue.message}`;
  });
}

/** All issues on one line: "path: message; path: message" ("(root)" for the whole value). */
export function issuesSummary(error: z.ZodError): string {
  return error.issues.map((issue) => `${issuePath(issue) || '(root)'}: ${issue.message}`).join('; ');
}
