// The simulated cloud of bench/nightly.ts: N projects of S servers each (one clouds.yaml
// entry and one member user per project), every server already holding `keep` nightly
// snapshots from earlier nights, so the run's retention deletes one per server as a steady
// state does. Latencies are given at full scale and multiplied by the run's scale here.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNAPFLOW_TAGS } from '../../functions/workflows/tags';
import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';
import type { Latency, LatencySpec } from '../../shared/sim/state';

export interface NightlyShape {
  projects: number;
  serversPerProject: number;
  /** limits.snapshotsPerProject */
  limit: number;
  /** retention.keep of every schedule (and the snapshots each server already has) */
  keep: number;
  /** schedules stop the servers around the snapshot */
  stop: boolean;
  /** every latency (simulator) and step delay (SNAPFLOW_TIME_SCALE) is multiplied by this */
  scale: number;
  seed: number;
  /** full-scale latencies the simulator plays */
  latency: Pick<Latency, 'snapshot' | 'stop' | 'start' | 'api'>;
}

export interface FleetServer {
  id: string;
  name: string;
  cloud: string;
  project: string;
}

export interface NightlyWorld {
  sim: SimHandle;
  dir: string;
  cloudsFile: string;
  /** clouds.yaml entry names, one per project, in order */
  clouds: string[];
  /** schedule (= retention policy) name of each cloud's nightly */
  policyOf(cloud: string): string;
  servers: Map<string, FleetServer>;
  /** ids of the snapshots seeded as earlier nights' */
  earlier: Set<string>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
/** The metadata the schedules select servers by (schedules/schedules.ts's example). */
export const NIGHTLY_SELECTOR_KEY = 'snapflow:schedule';
export const NIGHTLY_SELECTOR_VALUE = 'nightly';

export function scaled(spec: LatencySpec, scale: number): LatencySpec {
  return typeof spec === 'number' ? spec * scale : [spec[0] * scale, spec[1] * scale];
}

export const projectName = (i: number): string => `p${String(i + 1).padStart(2, '0')}`;

export async function buildWorld(shape: NightlyShape): Promise<NightlyWorld> {
  const l = shape.latency;
  const sim = await startSimulator({
    seed: shape.seed,
    latency: {
      snapshot: scaled(l.snapshot, shape.scale),
      stop: scaled(l.stop, shape.scale),
      start: scaled(l.start, shape.scale),
      api: scaled(l.api, shape.scale),
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-nightly-'));
  const entries: Record<string, ReturnType<SimHandle['cloudFor']>> = {};
  const clouds: string[] = [];
  const servers = new Map<string, FleetServer>();
  const earlier = new Set<string>();
  const data = Buffer.from('an earlier night\n');
  const now = Date.now();
  for (let p = 0; p < shape.projects; p++) {
    const project = projectName(p);
    const cloud = `sim-${project}`;
    const { user } = sim.state.addProject(project);
    entries[cloud] = sim.cloudFor(project, user);
    clouds.push(cloud);
    const metadata = { [NIGHTLY_SELECTOR_KEY]: NIGHTLY_SELECTOR_VALUE };
    for (const s of sim.state.addServers(shape.serversPerProject, { prefix: `${project}-vm`, project, user, metadata })) {
      servers.set(s.id, { id: s.id, name: s.name, cloud, project });
      for (let night = 1; night <= shape.keep; night++) {
        // what create-image would have tagged them with, a night apart
        const img = sim.state.addImage(
          {
            name: `${s.name}-nightly-${night}`,
            project,
            createdAt: now - night * DAY_MS,
            props: {
              [SNAPFLOW_TAGS.job]: randomUUID(),
              [SNAPFLOW_TAGS.policy]: `nightly-${project}`,
              [SNAPFLOW_TAGS.server]: s.id,
              [SNAPFLOW_TAGS.volumeBacked]: 'false',
              instance_uuid: s.id,
              image_type: 'snapshot',
            },
          },
          data,
        );
        earlier.add(img.id);
      }
    }
  }
  const cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(cloudsFile, sim.cloudsYaml(entries), { mode: 0o600 });
  return {
    sim,
    dir,
    cloudsFile,
    clouds,
    servers,
    earlier,
    policyOf: (cloud) => `nightly-${cloud.replace(/^sim-/, '')}`,
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
