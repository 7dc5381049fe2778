// The service the CLI tests talk to: the real service stack (functions/in-process-service.ts,
// as `npm start` composes it) on the OpenStack simulator, served over a real socket on
// 127.0.0.1, with a post-snapshot hook receiver that can hold a job in its
// post-snapshot-hook step until a test lets it go (a running step on demand).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type InProcessService, startInProcessService } from '../../functions/in-process-service';
import { sha256Hex } from '../../shared/auth/hash';
import { type SimHandle, startSimulator } from '../../shared/sim/server';
import { FAST_LATENCY } from '../workflows/harness';

export const TOKENS = {
  /** read only */
  reader: 'cli-reader-token-0123456789',
  /** submit, but only servers named ci-* */
  ci: 'cli-ci-token-0123456789abc',
};

export interface HookReceiver {
  url: string;
  /** Snapshots of `server` stay in their post-snapshot-hook step until the returned release(). */
  hold(server: string): () => void;
  close(): Promise<void>;
}

async function startHookReceiver(): Promise<HookReceiver> {
  const held = new Map<string, { waiting: (() => void)[]; released: boolean }>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (b: Buffer) => (text += b.toString('utf8')));
    req.on('end', () => {
      const name = (JSON.parse(text || '{}') as { server?: { name?: string } }).server?.name ?? '';
      const answer = () => res.writeHead(204).end();
      const h = held.get(name);
      if (h && !h.released) h.waiting.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    hold(name) {
      const h = { waiting: [] as (() => void)[], released: false };
      held.set(name, h);
      return () => {
        h.released = true;
        for (const answer of h.waiting.splice(0)) answer();
      };
    },
    async close() {
      for (const h of held.values()) for (const answer of h.waiting.splice(0)) answer();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface CliService {
  /** base URL of the service (SNAPFLOW_URL) */
  url: string;
  /** admin token (every scope, every target) */
  token: string;
  sim: SimHandle;
  svc: InProcessService;
  hook: HookReceiver;
  close(): Promise<void>;
}

export async function startCliService(servers: string[]): Promise<CliService> {
  const sim = await startSimulator({ latency: FAST_LATENCY });
  for (const name of servers) sim.state.addServer({ name });
  const dir = mkdtempSync(join(tmpdir(), 'snapflow-cli-svc-'));
  const cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(cloudsFile, sim.cloudsYaml(), { mode: 0o600 });
  const hook = await startHookReceiver();
  const svc = await startInProcessService({
    env: { OS_CLIENT_CONFIG_FILE: cloudsFile },
    cloudNames: ['sim', 'sim-dest'],
    mode: 'simulator',
    tickMs: 500,
    timeScale: 0.01,
    configFile: { hooks: { postSnapshot: { url: hook.url } } },
    tokens: [
      { name: 'reader', sha256: await sha256Hex(TOKENS.reader), scopes: ['read'], targets: ['**'] },
      { name: 'ci', sha256: await sha256Hex(TOKENS.ci), scopes: ['read', 'submit'], targets: ['sim/*/ci-*'] },
    ],
  });
  let server: ReturnType<typeof serve> | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: svc.service.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(info.port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    token: svc.token,
    sim,
    svc,
    hook,
    async close() {
      // long-polls of a killed CLI would hold close() open
      (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await hook.close();
      await svc.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
