// Dev server: `npm run sim` (SIM_PORT, default 8780). Writes a clouds.yaml and prints curl lines.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from './server';

const port = Number(process.env.SIM_PORT ?? 8780);
const sim = await startSimulator({ port });
const cloudsPath = process.env.SIM_CLOUDS_YAML ?? join(tmpdir(), `snapflow-sim-${sim.port}-clouds.yaml`);
writeFileSync(cloudsPath, sim.cloudsYaml(), { mode: 0o600 });

const auth = JSON.stringify({
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } },
    scope: { project: { name: 'admin', domain: { id: 'default' } } },
  },
});
console.log(`snapflow OpenStack simulator on ${sim.url}
clouds.yaml: ${cloudsPath} (clouds sim, sim-dest, sim-demo, sim-destuser)
  export OS_CLIENT_CONFIG_FILE=${cloudsPath} OS_CLOUD=sim

Try:
  T=$(curl -si -H 'Content-Type: application/json' -d '${auth}' ${sim.authUrl}/auth/tokens | awk 'tolower($1)=="x-subject-token:"{print $2}' | tr -d '\\r')
  curl -s -H "X-Auth-Token: $T" ${sim.url}/v2/images
  curl -s -H "X-Auth-Token: $T" -H 'OpenStack-API-Version: compute 2.79' ${sim.url}/v2.1/flavors/detail
  curl -s -H "X-Auth-Token: $T" -H 'OpenStack-API-Version: compute 2.79' -H 'Content-Type: application/json' \\
    -d '{"server":{"name":"web","imageRef":"${sim.state.baseImageId}","flavorRef":"42","networks":"none"}}' ${sim.url}/v2.1/servers
Ctrl-C to stop.`);

const stop = () => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
