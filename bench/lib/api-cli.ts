// The operator's baseline: the real `openstack` CLI (python3-openstackclient), run
// asynchronously so an in-process simulator keeps answering while it waits.
import { execFile } from 'node:child_process';

export interface CliRun {
  ms: number;
  stdout: string;
}

/** Only the clouds.yaml selection: stray OS_* variables (an openrc) would override it. */
export function cliEnv(cloudsYaml: string, cloud: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
  return { ...env, OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: cloud };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<CliRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile('openstack', args, { env, timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`openstack ${args.join(' ')}: ${err.message}\n${stderr.trim().slice(-2000)}`));
      else resolve({ ms: performance.now() - t0, stdout });
    });
  });
}

/** `openstack server image create --wait <server>` (plus output options to read the id). */
export async function cliSnapshot(server: string, name: string, env: NodeJS.ProcessEnv): Promise<CliRun & { imageId: string }> {
  const r = await runCli(['server', 'image', 'create', '--wait', '--name', name, '-f', 'value', '-c', 'id', server], env);
  return { ...r, imageId: r.stdout.trim() };
}

/** `openstack server rebuild --wait --image <img> <server>`. */
export function cliRebuild(server: string, image: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(['server', 'rebuild', '--wait', '--image', image, '-f', 'value', '-c', 'status', server], env);
}
