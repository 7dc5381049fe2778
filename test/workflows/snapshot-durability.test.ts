import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allWorkflows } from '../../functions/workflows/all-workflows';
import type { WorkflowDeps } from '../../functions/workflows/deps';
import { createEngine } from '../../shared/engine/engine';
import { CREATE_IMAGE, type Harness, imagesOfJob, setup, until } from './harness';

let h: Harness;
let hook: HttpServer | undefined;
afterEach(async () => {
  await h?.close();
  if (hook) await new Promise<void>((ok) => hook!.close(() => ok()));
  hook = undefined;
});

/** A local callback receiver answering the given statuses in turn (the last one repeats). */
async function startHook(statuses: number[]): Promise<{ url: string; bodies: unknown[]; headers: Record<string, unknown>[] }> {
  const bodies: unknown[] = [];
  const headers: Record<string, unknown>[] = [];
  hook = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(raw));
      headers.push(req.headers);
      res.writeHead(statuses[Math.min(bodies.length - 1, statuses.length - 1)]!).end();
    });
  });
  await new Promise<void>((ok) => hook!.listen(0, '127.0.0.1', () => ok()));
  return { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook?token=s3cret-value`, bodies, headers };
}

describe('snapshot durability', () => {
  it('the service restarted mid-job (after createImage, before the commit): a new engine finishes with ONE image', async () => {
    h = await setup({ sim: { latency: { snapshot: 200 } } });
    h.sim.state.addServer({ name: 'web' });
    let created = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((ok) => (release = ok));
    // Process A: its createImage call goes through, then the process "dies" before committing.
    const depsA: WorkflowDeps = {
      ...h.deps,
      openstack(name, ctx) {
        const os = h.deps.openstack(name, ctx);
        const real = os.compute.createImage.bind(os.compute);
        os.compute.createImage = async (...args) => {
          const id = await real(...args);
          created = true;
          await gate;
          return id;
        };
        return os;
      },
    };
    const storeA = await h.openStore();
    const engineA = createEngine({
      store: storeA,
      workflows: allWorkflows(depsA),
      owner: 'process-a',
      leaseMs: 400,
      log: { info() {}, warn() {}, error() {} },
    });
    const { job } = await engineA.submit('snapshot', { cloud: 'sim', server: 'web' });
    await until(() => created);
    // The crash: no more dispatching, and its job table connection is gone (no heartbeats, no commit).
    await engineA.close(10).catch(() => undefined);
    await storeA.close();

    // Process B on the same SQLite file: once A's lease expired, the tick resumes the job.
    const storeB = await h.openStore();
    h.newEngine({ store: storeB, owner: 'process-b' });
    const end = await h.finish(job.id, 15_000, storeB);
    release();
    expect(end.state).toBe('succeeded');
    expect(h.sim.counters.get(CREATE_IMAGE)).toBe(1);
    const images = imagesOfJob(h.sim, job.id);
    expect(images).toHaveLength(1);
    expect((end.result as { imageId: string }).imageId).toBe(images[0]!.id);
    const events = await storeB.listEvents(job.id, 0, 1000);
    const done = events.find((e) => e.type === 'step.done' && e.step === 'create-image');
    expect(done?.attempt).toBe(2);
  });

  it('calls the post-snapshot hook with {job, server, image}, retrying its failures without leaking the URL', async () => {
    const receiver = await startHook([503, 200]);
    h = await setup({ config: { postSnapshotHookUrl: receiver.url } });
    const server = h.sim.state.addServer({ name: 'web' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    const result = end.result as { imageId: string; hook: string };
    expect(result.hook).toBe('answered 200');
    expect(receiver.bodies).toHaveLength(2);
    expect(receiver.bodies[1]).toMatchObject({ job: job.id, server: { id: server.id, name: 'web', cloud: 'sim' }, image: { id: result.imageId } });
    expect(receiver.headers[1]?.['idempotency-key']).toBe(`${job.id}:post-snapshot`);
    const events = await h.events(job.id);
    expect(events.some((e) => e.type === 'step.retry' && e.step === 'post-snapshot-hook')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('s3cret-value');
  });

  it('a hook that keeps failing does not fail the job nor delete the good snapshot', async () => {
    const receiver = await startHook([500]);
    h = await setup({ config: { postSnapshotHookUrl: receiver.url } });
    h.sim.state.addServer({ name: 'web' });
    const { job } = await h.engine.submit('snapshot', { cloud: 'sim', server: 'web' });
    const end = await h.finish(job.id);
    expect(end.state).toBe('succeeded');
    expect((end.result as { hook: string }).hook).toMatch(/^failed: post-snapshot hook answered 500/);
    expect(receiver.bodies).toHaveLength(5);
    expect(imagesOfJob(h.sim, job.id)).toHaveLength(1);
  });
});
