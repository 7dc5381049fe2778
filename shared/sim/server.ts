import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { cinderRoutes } from './cinder';
import type { CallRecord } from './dispatch';
import { dispatch } from './dispatch';
import type { FaultSpec } from './faults';
import { Counters, Faults } from './faults';
import { glanceRoutes } from './glance';
import { glanceDataRoutes } from './glance-data';
import { keystoneRoutes } from './keystone';
import { novaActionRoutes } from './nova-actions';
import { novaServerRoutes } from './nova-servers';
import type { Route } from './router';
import { SimSeed } from './seed';
import type { Latency } from './state';
import { DEFAULT_LATENCY, SimState, seededRandom } from './state';

export interface SimOptions {
  port?: number;
  host?: string;
  latency?: Partial<Latency>;
  /** Seeds the draws of latency ranges (default Math.random). */
  seed?: number;
  tokenTtlMs?: number;
  novaMaxMicroversion?: string;
  withCinder?: boolean;
}

export interface CloudEntry {
  auth: {
    auth_url: string;
    username: string;
    password: string;
    project_name: string;
    user_domain_id: string;
    project_domain_id: string;
  };
  region_name: 'RegionOne';
  interface: 'public';
  identity_api_version: 3;
}

export interface SimHandle {
  url: string;
  port: number;
  authUrl: string;
  cloud: CloudEntry;
  cloudFor(project: string, user?: string): CloudEntry;
  /** The four built-in entries plus `extra` (e.g. entries made with cloudFor for added projects). */
  cloudsYaml(extra?: Record<string, CloudEntry>): string;
  faults: { add(f: FaultSpec): void; clear(): void };
  counters: { get(routeTemplate: string): number; all(): Record<string, number>; reset(): void };
  calls: CallRecord[];
  state: SimSeed;
  close(): Promise<void>;
}

const PASSWORDS: Record<string, string> = { admin: 'admin-secret', demo: 'demo-secret', destuser: 'demo-secret' };

export async function startSimulator(opts: SimOptions = {}): Promise<SimHandle> {
  const withCinder = opts.withCinder ?? true;
  const random = opts.seed !== undefined ? seededRandom(opts.seed) : Math.random;
  const state = new SimState({ ...DEFAULT_LATENCY, ...opts.latency }, opts.tokenTtlMs ?? 2 * 3600_000, random);
  const faults = new Faults();
  const counters = new Counters();
  const calls: CallRecord[] = [];
  let base = '';
  const routes: Route[] = [
    ...keystoneRoutes(withCinder),
    ...novaServerRoutes(() => deps.novaMax),
    ...novaActionRoutes(),
    ...glanceRoutes(),
    ...glanceDataRoutes(),
    ...(withCinder ? cinderRoutes() : []),
  ];
  const deps = { routes, state, faults, counters, calls, base: () => base, novaMax: opts.novaMaxMicroversion ?? '2.93' };
  const server = createServer((req, res) => {
    dispatch(deps, req, res).catch((err: unknown) => {
      console.error('[sim] handler error', err);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ computeFault: { code: 500, message: 'Simulator internal error' } }));
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port ?? 0, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const authUrl = `${base}/v3`;

  const cloudFor = (project: string, user = 'admin'): CloudEntry => ({
    auth: {
      auth_url: authUrl,
      username: user,
      password: PASSWORDS[user] ?? state.userByName(user)?.password ?? '',
      project_name: project,
      user_domain_id: 'default',
      project_domain_id: 'default',
    },
    region_name: 'RegionOne',
    interface: 'public',
    identity_api_version: 3,
  });

  return {
    url: base,
    port,
    authUrl,
    cloud: cloudFor('admin'),
    cloudFor,
    cloudsYaml: (extra = {}) =>
      stringify({
        clouds: {
          sim: cloudFor('admin'),
          'sim-dest': cloudFor('dest'),
          'sim-demo': cloudFor('admin', 'demo'),
          'sim-destuser': cloudFor('dest', 'destuser'),
          ...extra,
        },
      }),
    faults: { add: (f) => faults.add(f), clear: () => faults.clear() },
    counters: { get: (k) => counters.get(k), all: () => counters.all(), reset: () => counters.reset() },
    calls,
    state: new SimSeed(state),
    close: async () => {
      state.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
