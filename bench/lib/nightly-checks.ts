// Correctness of a nightly run, from both sides: the simulator (every server has exactly one
// new snapshot, active, and retention left `keep` of the policy's snapshots) and the job
// table (exactly one job per server, every one succeeded). The bench reports; it never
// asserts, so each check is a count and a verdict.
import { SNAPFLOW_TAGS } from '../../functions/workflows/tags';
import type { JobRecord } from './nightly-table';
import type { NightlyShape, NightlyWorld } from './nightly-world';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const prop = (props: Record<string, unknown>, k: string): string | undefined => {
  const v = props[k];
  return typeof v === 'string' ? v : undefined;
};

export function checkRun(world: NightlyWorld, shape: NightlyShape, jobs: readonly JobRecord[]): Check[] {
  const servers = world.servers;
  const fresh = new Map<string, number>();
  const kept = new Map<string, number>();
  let notActive = 0;
  for (const img of world.sim.state.images.values()) {
    const server = prop(img.props, SNAPFLOW_TAGS.server);
    if (!server || !servers.has(server)) continue;
    kept.set(server, (kept.get(server) ?? 0) + 1);
    if (world.earlier.has(img.id)) continue;
    fresh.set(server, (fresh.get(server) ?? 0) + 1);
    if (img.status !== 'active') notActive++;
  }
  const perServer = new Map<string, number>();
  for (const j of jobs) perServer.set(j.server, (perServer.get(j.server) ?? 0) + 1);

  const count = (m: Map<string, number>, want: number) => [...servers.keys()].filter((id) => (m.get(id) ?? 0) === want).length;
  const n = servers.size;
  const oneImage = count(fresh, 1);
  const oneJob = count(perServer, 1);
  const strangers = jobs.filter((j) => !servers.has(j.server)).length;
  const byState = new Map<string, number>();
  for (const j of jobs) byState.set(j.state, (byState.get(j.state) ?? 0) + 1);
  const states = [...byState].map(([s, c]) => `${s} ${c}`).join(', ');
  const failed = jobs.filter((j) => j.state === 'failed');
  const createImage = world.sim.counters.get('POST /v2.1/servers/{id}/action:createImage');
  const retained = count(kept, shape.keep);
  return [
    {
      name: 'one new snapshot per server',
      ok: oneImage === n && notActive === 0,
      detail: `${oneImage}/${n} servers with exactly 1 (none: ${count(fresh, 0)}, more: ${n - oneImage - count(fresh, 0)}; not active: ${notActive})`,
    },
    {
      name: 'one job per server',
      ok: oneJob === n && strangers === 0 && jobs.length === n,
      detail: `${oneJob}/${n} servers with exactly 1 job; ${jobs.length} jobs in the table`,
    },
    {
      name: 'no failed job',
      ok: failed.length === 0 && (byState.get('succeeded') ?? 0) === n,
      detail: `${states}${failed[0] ? `; first error: ${failed[0].error}` : ''}`,
    },
    { name: 'createImage once per server', ok: createImage === n, detail: `${createImage} createImage calls for ${n} servers` },
    { name: `retention keeps ${shape.keep}`, ok: retained === n, detail: `${retained}/${n} servers hold exactly ${shape.keep} of the policy's snapshots` },
  ];
}
