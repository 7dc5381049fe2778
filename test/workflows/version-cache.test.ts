// Every step makes its own OpenStack client; the provider shares the negotiated Nova
// microversion between them so a job does not fetch the version document once per step.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, setup } from './harness';

describe('openstackProvider microversion cache', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('negotiates once per cloud across the clients of a whole snapshot job', async () => {
    h = await setup();
    h.sim.state.addServer({ name: 'web' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    expect((await h.finish(job.id)).state).toBe('succeeded');
    const versionDocs = h.sim.calls.filter((c) => /^GET \/v2\.1\/?$/.test(c.route));
    expect(versionDocs).toHaveLength(1);
    // and a second client of the same provider asks again for nothing
    await h.deps.openstack('sim').compute.microversions();
    expect(h.sim.calls.filter((c) => /^GET \/v2\.1\/?$/.test(c.route))).toHaveLength(1);
  });
});
