// `npx tsx bench/failover.ts [rounds=3]`: how long a job whose service died mid-step waits
// before another service sharing the PostgreSQL job table resumes it. Two `npm start`
// processes on one throwaway PostgreSQL, the simulator as the cloud; a snapshot's
// createImage call is held for 40 s so the step is running (lease held) when its service is
// killed with SIGKILL. Measured from the kill to the other service's claim of the job, read
// from the job's events. The bound is the lease (shared/engine/lease.ts) plus the safety
// tick (5 s in node-main.ts). Not a test: it prints figures. The hold is a simulator fault
// that delays the request BEFORE Nova sees it, so the dead service's createImage still
// arrives 40 s later, after the takeover: the second createImage call counted here is that
// artifact (a real Nova has answered long before a lease runs out, and refuses a second
// snapshot of a server whose snapshot is in progress with a 409).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaseMsFor } from '../shared/engine/lease';
import { startSimulator } from '../shared/sim/server';
import { type NodeService, startNodeService } from './lib/node-service';
import { startThrowawayPostgres } from './lib/throwaway-postgres';

const ROUNDS = Math.max(1, Number(process.argv[2] ?? 3));
const TOKEN = 'failover-bench-token-0123456789';
const SAFETY_TICK_MS = 5_000;

interface EventJson {
  seq: number;
  at: string;
  type: string;
  message: string | null;
}

async function api<T>(svc: NodeService, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${svc.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function round(n: number, dir: string, pgUrl: string): Promise<number> {
  const sim = await startSimulator();
  const server = sim.state.addServer({ name: `web-${n}` });
  const clouds = join(dir, `clouds-${n}.yaml`);
  writeFileSync(clouds, sim.cloudsYaml(), { mode: 0o600 });
  const env = {
    SNAPFLOW_DB: pgUrl,
    OS_CLIENT_CONFIG_FILE: clouds,
    SNAPFLOW_TOKENS: JSON.stringify([{ name: 'bench', secret: TOKEN, scopes: ['admin'], targets: ['**'] }]),
  };
  const [a, b] = await Promise.all([startNodeService({ name: `a-${n}`, dir, env }), startNodeService({ name: `b-${n}`, dir, env })]);
  try {
    sim.faults.add({ route: 'POST /v2.1/servers/{id}/action:createImage', delayMs: 40_000, times: 1 });
    const job = await api<{ id: string }>(a, '/v1/jobs', { kind: 'snapshot', cloud: 'sim', server: server.name });
    // the step is running (its createImage held) on whichever service claimed it
    const claimed = await until('create-image running', 30_000, async () => {
      const events = (await api<{ events: EventJson[] }>(a, `/v1/jobs/${job.id}/events?limit=1000`)).events;
      const last = events.filter((e) => e.type === 'claimed').at(-1);
      const view = await api<{ state: string; step: string }>(a, `/v1/jobs/${job.id}`);
      return view.state === 'running' && view.step === 'create-image' ? last : undefined;
    });
    // well inside the held createImage call
    await new Promise((r) => setTimeout(r, 1_000));
    const victim = claimed.message?.includes(`:${a.pid}:`) ? a : b;
    const survivor = victim === a ? b : a;
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    const resumed = await until('resumed by the survivor', 120_000, async () => {
      const events = (await api<{ events: EventJson[] }>(survivor, `/v1/jobs/${job.id}/events?limit=1000`)).events;
      return events.find((e) => e.type === 'claimed' && e.seq > 0 && Date.parse(e.at) >= killedAt && e.message?.includes(`:${survivor.pid}:`));
    });
    const ms = Date.parse(resumed.at) - killedAt;
    const done = await api<{ state: string }>(survivor, `/v1/jobs/${job.id}/wait?timeout=120`);
    const images = sim.counters.get('POST /v2.1/servers/{id}/action:createImage');
    console.log(
      `round ${n}: killed ${victim.name} mid create-image; ${survivor.name} resumed the job after ${(ms / 1000).toFixed(2)} s; job ${done.state}; ` +
        `createImage calls reaching Nova ${images}`,
    );
    return ms;
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await sim.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-failover-'));
  const pg = await startThrowawayPostgres({ database: 'snapflow_failover' });
  try {
    const lease = leaseMsFor('postgres');
    console.log(`PostgreSQL lease ${lease / 1000} s, safety tick ${SAFETY_TICK_MS / 1000} s: bound ${(lease + SAFETY_TICK_MS) / 1000} s`);
    const times: number[] = [];
    for (let n = 1; n <= ROUNDS; n++) times.push(await round(n, dir, pg.url));
    const sorted = [...times].sort((x, y) => x - y);
    console.log(
      `resume after kill -9: median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s, max ${(sorted.at(-1)! / 1000).toFixed(2)} s over ` +
        `${ROUNDS} rounds`,
    );
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
