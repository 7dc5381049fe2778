import type { Segment } from './glob';
import { compileGlob, UNKNOWN_SEGMENT } from './glob';

export const SCOPES = ['read', 'submit', 'admin', 'runner'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: set by requireAuth as `c.var.principal`. */
export interface Principal {
  name: string;
  scopes: readonly Scope[];
  /** globs over cloud/project/server */
  targets: readonly string[];
}

export interface Target {
  cloud: string;
  /** unknown project: only patterns whose project part is `*` or `**` allow it */
  project?: string | null;
  server: string;
}

export function hasScope(p: Pick<Principal, 'scopes'>, scope: Scope): boolean {
  return p.scopes.includes('admin') || p.scopes.includes(scope);
}

export function targetSegments(t: Target): Segment[] {
  return [t.cloud, t.project ?? UNKNOWN_SEGMENT, t.server];
}

/** "prod/projA/web", with "?" for an unknown project, for 403 messages. */
export function describeTarget(t: Target): string {
  return `${t.cloud}/${t.project ?? '?'}/${t.server}`;
}

export function canTarget(p: Pick<Principal, 'targets'>, t: Target): boolean {
  const segs = targetSegments(t);
  return p.targets.some((pattern) => compileGlob(pattern)(segs));
}
