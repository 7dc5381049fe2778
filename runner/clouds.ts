import { createUndiciTransport } from '../shared/node/undici-transport';
import { createOpenStackClient, type OpenStackClient } from '../shared/openstack/client';
import { loadCloudConfig } from '../shared/openstack/clouds-node';

// One OpenStack client per clouds.yaml entry the tasks name, all on one undici Agent. The
// runner downloads and uploads with its own credentials: a task only names the cloud.

export class CloudClients {
  private readonly clients = new Map<string, OpenStackClient>();
  private readonly transport = createUndiciTransport();

  /** `cloudsFile` pins the clouds.yaml; without it, the standard search order applies. */
  constructor(
    private readonly cloudsFile: string | undefined,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  /** Throws CloudConfigError when the runner's clouds.yaml has no such cloud. */
  get(name: string): OpenStackClient {
    let client = this.clients.get(name);
    if (!client) {
      const env = this.cloudsFile ? { ...this.env, OS_CLIENT_CONFIG_FILE: this.cloudsFile } : this.env;
      client = createOpenStackClient(loadCloudConfig(name, { env }), { transport: this.transport, userAgent: 'snapflow-runner/0.1' });
      this.clients.set(name, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
