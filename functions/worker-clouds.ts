// Workers have no clouds.yaml on disk: the clouds come from one secret binding,
// SNAPFLOW_CLOUDS, holding a JSON object of clouds.yaml entries by name, e.g.
// (a whole clouds.yaml as JSON, `{"clouds":{…}}`, works too):
//   {"prod":{"auth":{"auth_url":"https://keystone…/v3","application_credential_id":"…",
//            "application_credential_secret":"…"},"region_name":"…",
//            "compute_endpoint_override":"https://…"}}
// (`wrangler secret put SNAPFLOW_CLOUDS < clouds.json`). Every problem is reported by key
// path; a value is never quoted (values are passwords and secrets). The rules are Node's
// (clouds-node.ts): a broken entry makes that one cloud unusable (reported by /healthz,
// its jobs refused with its problem), while a binding that cannot be read at all is a
// misconfigured deployment.
import { z } from 'zod';
import { type CloudConfig, cloudEntryToConfig, describeConfigIssues } from '../shared/openstack/cloud-config';

export const CLOUDS_BINDING = 'SNAPFLOW_CLOUDS';

export interface WorkerClouds {
  /** every entry of the binding, usable or not */
  names: string[];
  /** usable entries only */
  get(name: string): CloudConfig | undefined;
  /** `SNAPFLOW_CLOUDS: <cloud>.<key path>: <problem>` for an unusable entry */
  problem(name: string): string | undefined;
}

export interface ParsedClouds {
  clouds: WorkerClouds;
  /** What makes the whole binding unreadable (not JSON, not an object); empty otherwise. */
  problems: string[];
}

const entriesSchema = z.record(z.string().min(1), z.unknown());

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
  const unusable = new Map<string, string>();
  const names: string[] = [];
  const problems: string[] = [];
  const result = (): ParsedClouds => ({
    clouds: { names, get: (n) => byName.get(n), problem: (n) => unusable.get(n) },
    problems,
  });
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
    names.push(name);
    if (!isRecord(entry)) {
      unusable.set(name, `${CLOUDS_BINDING}: ${name}: expected an object of settings (auth, region_name, …)`);
      continue;
    }
    const r = cloudEntryToConfig(name, entry, `${CLOUDS_BINDING}: ${name}.`);
    if (r.cloud) byName.set(name, r.cloud);
    else unusable.set(name, r.problems.slice(0, 5).join('; '));
  }
  return result();
}
