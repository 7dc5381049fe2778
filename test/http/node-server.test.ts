// The same app behind @hono/node-server over a real socket: the long-poll must notice a
// client that hangs up (the request signal aborts) and release its watch.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, postJson, startHarness, TOKENS, until } from './harness';

let h: Harness | undefined;
let server: ReturnType<typeof serve> | undefined;
afterEach(async () => {
  // keep-alive sockets of the test's fetch would hold close() for seconds
  (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  await h?.close();
  h = undefined;
});

describe('@hono/node-server', () => {
  it('serves the app and stops a long-poll when the client disconnects', async () => {
    h = await startHarness({ waitRecheckMs: 600_000 });
    const hh = h;
    const res = await postJson(hh, '/v1/jobs', { kind: 'snapshot', cloud: 'prod', server: 'web', name: 'park' });
    const { id } = (await res.json()) as { id: string };
    await until(async () => (await hh.store.getJob(id))?.state === 'waiting', 'parked job');

    const listening = new Promise<number>((resolve) => {
      server = serve({ fetch: hh.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(info.port));
    });
    const base = `http://127.0.0.1:${await listening}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { mode: string }).mode).toBe('simulator');

    const ac = new AbortController();
    const pending = fetch(`${base}/v1/jobs/${id}/wait?timeout=300`, { headers: { Authorization: `Bearer ${TOKENS.reader}` }, signal: ac.signal });
    await until(() => hh.notifier.watching() === 1, 'the wait to subscribe');
    ac.abort();
    await expect(pending).rejects.toThrow();
    await until(() => hh.notifier.watching() === 0, 'the server-side wait to let go');
  });
});
