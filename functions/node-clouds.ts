// The clouds of the Node entry: every entry of the clouds.yaml in use (or the plain OS_*
// variables), loaded at start so that a broken entry is found at once. A broken entry
// makes that one cloud unusable (one log line now, /healthz, a 400 for its jobs), never
// the service: the other clouds' jobs and schedules keep running. A clouds.yaml that
// cannot be read at all stops the start. With nothing configured, the built-in simulator.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepLogger } from '../shared/engine/define';
import type { CloudConfig } from '../shared/openstack/cloud-config';
import { CloudConfigError, type CloudSet, findConfigFile, loadAllClouds } from '../shared/openstack/clouds-node';
import type { DataDir } from './node-data-dir';
import { ensurePrivateFile } from './node-paths';
import { StartupError } from './node-startup-error';

type Env = Record<string, string | undefined>;

export interface NodeClouds {
  mode: 'simulator' | 'cloud';
  /** every defined cloud, usable or not */
  names: string[];
  /** usable clouds only */
  get(name: string): CloudConfig | undefined;
  /** why a defined cloud is unusable: file, cloud and key at fault */
  problem(name: string): string | undefined;
  close(): Promise<void>;
}

function load(env: Env): CloudSet {
  try {
    return loadAllClouds({ env });
  } catch (err) {
    if (err instanceof CloudConfigError) throw new StartupError(`clouds: ${err.message}`);
    throw err;
  }
}

/** The simulator, when no clouds.yaml and no OS_AUTH_URL exist. */
async function startBuiltInSimulator(dataDir: DataDir, log: StepLogger): Promise<{ env: Env; close(): Promise<void> }> {
  // Imported lazily: a deployment with clouds never loads the simulator.
  const { startSimulator } = await import('../shared/sim/server');
  const sim = await startSimulator({ port: Number(process.env.SNAPFLOW_SIM_PORT ?? 0) });
  sim.state.addServer({ name: 'demo-web', metadata: { 'snapflow:schedule': 'nightly' } });
  const file = join(dataDir.path, 'simulator-clouds.yaml');
  ensurePrivateFile(file, dataDir.setting);
  writeFileSync(file, sim.cloudsYaml(), { mode: 0o600 });
  log.warn(
    `NO CLOUD CONFIGURED (no clouds.yaml, no OS_AUTH_URL): running against the BUILT-IN OPENSTACK SIMULATOR at ${sim.url}. ` +
      `Nothing real is touched. Clouds: sim, sim-dest; a demo server "demo-web" exists. Set OS_CLIENT_CONFIG_FILE to use a real cloud.`,
  );
  return { env: { ...process.env, OS_CLIENT_CONFIG_FILE: file }, close: () => sim.close() };
}

export async function resolveClouds(dataDir: DataDir, log: StepLogger): Promise<NodeClouds> {
  let configured: boolean;
  try {
    configured = findConfigFile('clouds') !== undefined || process.env.OS_AUTH_URL !== undefined;
  } catch (err) {
    // OS_CLIENT_CONFIG_FILE naming a file that does not exist
    if (err instanceof CloudConfigError) throw new StartupError(`clouds: ${err.message}`);
    throw err;
  }
  let env: Env = process.env;
  let close = async () => {};
  if (!configured) ({ env, close } = await startBuiltInSimulator(dataDir, log));
  const set = load(env);
  for (const [name, problem] of set.unusable) log.error(`cloud "${name}" is unusable, its jobs are refused: ${problem}`);
  return {
    mode: configured ? 'cloud' : 'simulator',
    names: set.names,
    get: (name) => set.clouds.get(name),
    problem: (name) => set.unusable.get(name),
    close,
  };
}
