// The OpenStack lab's clouds.yaml entry, for the lab-tier suites that hand it to a service
// (the Worker under wrangler dev takes it as SNAPFLOW_CLOUDS).
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const labCloudsFile = () => process.env.OS_CLIENT_CONFIG_FILE ?? '/var/tmp/oslab/clouds.yaml';

/** The lab's clouds.yaml entry `name`, if the file exists and the cloud is on loopback. */
export function labCloudEntry(name: string): Record<string, unknown> | undefined {
  // The real-cloud tier sets OS_CLOUD once the lab is up; a clouds.yaml left on disk by an
  // earlier run says nothing about whether the lab is running now (npm test runs first).
  if (!process.env.OS_CLOUD) return undefined;
  const file = labCloudsFile();
  if (!existsSync(file)) return undefined;
  const entry = (parseYaml(readFileSync(file, 'utf8')) as { clouds?: Record<string, Record<string, unknown>> } | null)?.clouds?.[name];
  const authUrl = (entry?.auth as { auth_url?: string } | undefined)?.auth_url;
  // Only ever a loopback cloud: these tests must not send traffic anywhere else.
  if (!authUrl || !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(authUrl).hostname)) return undefined;
  return entry;
}
