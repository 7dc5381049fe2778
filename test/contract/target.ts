import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUndiciTransport } from '../../shared/node/undici-transport';
import { createOpenStackClient, type OpenStackClient } from '../../shared/openstack/client';
import type { CloudConfig } from '../../shared/openstack/cloud-config';
import { loadCloudConfig } from '../../shared/openstack/clouds-node';
import { createTokenCache, type TokenCache } from '../../shared/openstack/identity';
import type { CallInfo, Transport } from '../../shared/openstack/transport';

// Where the contract suite runs: a real cloud when OS_CLOUD is set (loaded through our own
// clouds.yaml loader), otherwise the in-repo simulator. The second project (for image
// members) comes from SNAPFLOW_CONTRACT_DEST_CLOUD.

export interface ContractTarget {
  kind: 'cloud' | 'simulator';
  main: CloudConfig;
  dest: CloudConfig;
  transport: Transport;
  /** Every call any client of this target made, for request-id assertions. */
  calls: CallInfo[];
  flavor: string;
  baseImageName: string;
  client(cloud?: CloudConfig, opts?: { tokenCache?: TokenCache }): OpenStackClient;
  close(): Promise<void>;
}

export async function openTarget(): Promise<ContractTarget> {
  const calls: CallInfo[] = [];
  const transport = createUndiciTransport({ headersTimeoutMs: 120_000, bodyTimeoutMs: 120_000 });
  const tokenCache = createTokenCache();
  const make = (kind: ContractTarget['kind'], main: CloudConfig, dest: CloudConfig, stop: () => Promise<void>): ContractTarget => ({
    kind,
    main,
    dest,
    transport,
    calls,
    flavor: process.env.SNAPFLOW_CONTRACT_FLAVOR ?? 'm1.nano',
    baseImageName: process.env.SNAPFLOW_CONTRACT_IMAGE ?? 'oslab-base',
    client: (cloud = main, opts = {}) =>
      createOpenStackClient(cloud, {
        transport,
        tokenCache: opts.tokenCache ?? tokenCache,
        userAgent: 'snapflow-contract',
        onCall: (c) => calls.push(c),
      }),
    close: async () => {
      await stop();
      await transport.close();
    },
  });

  if (process.env.OS_CLOUD) {
    const main = loadCloudConfig(process.env.OS_CLOUD);
    const dest = loadCloudConfig(process.env.SNAPFLOW_CONTRACT_DEST_CLOUD ?? 'oslab-dest');
    return make('cloud', main, dest, async () => undefined);
  }

  const { startSimulator } = await import('../../shared/sim/server');
  const sim = await startSimulator();
  // Go through the same loader as a real cloud: the simulator's clouds.yaml in a temp dir.
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-contract-'));
  const file = join(dir, 'clouds.yaml');
  writeFileSync(file, sim.cloudsYaml());
  const env = { OS_CLIENT_CONFIG_FILE: file };
  const main = loadCloudConfig('sim', { env, cwd: dir, home: dir });
  const dest = loadCloudConfig('sim-dest', { env, cwd: dir, home: dir });
  return make('simulator', main, dest, async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
}
