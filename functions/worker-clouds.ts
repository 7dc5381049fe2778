// Workers have no clouds.yaml on disk: the clouds come from one secret binding,
// SNAPFLOW_CLOUDS, holding a JSON object of clouds.yaml entries by name, e.g.
// (a whole clouds.yaml as JSON, `{"clouds":{…}}`, works too):
//   {"prod":{"auth":{"auth_url":"https://keystone…/v3","application_credential_id":"…",
//            "application_credential_secret":"…"},"region_name":"…",
//            "compute_endpoint_override":"https://…"}}
// (`wrangler secret put SNAPFLOW_CLOUDS < clouds.json`). Every problem is reported by key
// path; a value is never quoted (values are passwords and secrets).
import { z } from 'zod';
import { cloudEntryToConfig, describeConfigIssues, type CloudConfig } from '../shared/openstack/cloud-config';

export const CLOUDS_BINDING = 'SNAPFLOW_CLOUDS';

export interface WorkerClouds {
  names: string[];
  get(name: string): CloudConfig | undefined;
}

export interface ParsedClouds {
  clouds: WorkerClouds;
  /** `SNAPFLOW_CLOUDS: <cloud>.<key path>: <problem>`; empty when every entry is usable. */
  problems: string[];
}

const entriesSchema = z.record(z.string().min(1), z.record(z.string(), z.unknown()));

/** A whole clouds.yaml converted to JSON (`{"clouds":{…}}`) is accepted as well. */
function unwrapCloudsKey(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc;
  const keys = Object.keys(doc);
  const inner = (doc as { clouds?: unknown }).clouds;
  const isEntry = typeof inner === 'object' && inner !== null && 'auth' in inner;
  return keys.length === 1 && keys[0] === 'clouds' && !isEntry ? inner : doc;
}

/** Parses the SNAPFLOW_CLOUDS binding; unset or empty means "no clouds". */
export function parseWorkerClouds(raw: unknown): ParsedClouds {
  const byName = new Map<string, CloudConfig>();
  const problems: string[] = [];
  const result = (): ParsedClouds => ({ clouds: { names: [...byName.keys()], get: (n) => byName.get(n) }, problems });
  if (raw === undefined || raw === '') return result();
  if (typeof raw !== 'string') {
    problems.push(`${CLOUDS_BINDING}: must be a secret (a string holding JSON)`);
    return result();
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    // JSON.parse quotes the input in its message: it would print the secrets.
    problems.push(`${CLOUDS_BINDING}: not valid JSON (expected an object of clouds.yaml entries by cloud name)`);
    return result();
  }
  const entries = entriesSchema.safeParse(unwrapCloudsKey(doc));
  if (!entries.success) {
    problems.push(...describeConfigIssues(entries.error, `${CLOUDS_BINDING}: `));
    return result();
  }
  for (const [name, entry] of Object.entries(entries.data)) {
    const r = cloudEntryToConfig(name, entry, `${CLOUDS_BINDING}: ${name}.`);
    problems.push(...r.problems);
    if (r.cloud) byName.set(name, r.cloud);
  }
  return result();
}
