import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClaimRequest, CompleteRequest, FailRequest, HeartbeatRequest, type Task } from '../../../shared/runner/protocol';

// A test double of the snapflow service's runner routes (the real ones are built elsewhere
// against the same schemas): a queue of tasks handed out by long-polled claims, every call
// recorded after validating its body with the protocol's strict schemas, a cancel flag and
// lease take-over per task. Listens on 127.0.0.1 only.

export interface Call {
  route: 'claim' | 'heartbeat' | 'complete' | 'fail';
  taskId?: string;
  body: unknown;
  status: number;
  at: number;
}

export interface ServiceDouble {
  url: string;
  token: string;
  calls: Call[];
  enqueue(task: Task): void;
  /** Hands out a body that need not match the protocol (it must have an id and a lease token). */
  enqueueRaw(task: { id: string; lease: { token: string } } & Record<string, unknown>): void;
  /** The next heartbeat of this task answers cancel: true. */
  cancel(taskId: string): void;
  /** Calls under the task's current lease answer 409 lease_lost from now on (a new claim gets a new lease). */
  takeOver(taskId: string): void;
  /** takeOver() as soon as a heartbeat of the task reports this phase, or its complete/fail arrives (before it is answered). */
  takeOverAt(taskId: string, phase: string): void;
  /** Waits until a recorded call matches (deadline in ms). */
  waitFor(pred: (c: Call) => boolean, timeoutMs?: number): Promise<Call>;
  close(): Promise<void>;
}

export async function startServiceDouble(opts: { token?: string; ttlSeconds?: number } = {}): Promise<ServiceDouble> {
  const token = opts.token ?? 'runner-test-token-0123456789';
  const queue: Array<Pick<Task, 'id' | 'lease'>> = [];
  const waiting: Array<() => void> = [];
  const calls: Call[] = [];
  const cancelled = new Set<string>();
  const leases = new Map<string, string>();
  const takeOverAt = new Map<string, string>();
  const watchers: Array<() => void> = [];
  const record = (c: Call) => {
    calls.push(c);
    for (const w of watchers.splice(0)) w();
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: 'unauthorized', message: 'bad token' } });
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return send(400, { error: { code: 'bad_json', message: 'not JSON' } });
      }
      const url = req.url ?? '';
      if (url === '/v1/runner/claim') {
        const parsed = ClaimRequest.safeParse(body);
        if (!parsed.success) return send(400, { error: { code: 'invalid', message: parsed.error.message } });
        const hand = () => {
          const task = queue.shift();
          if (!task) return false;
          leases.set(task.id, task.lease.token);
          record({ route: 'claim', taskId: task.id, body, status: 200, at: Date.now() });
          send(200, task);
          return true;
        };
        if (hand()) return;
        const timer = setTimeout(() => {
          const i = waiting.indexOf(retry);
          if (i >= 0) waiting.splice(i, 1);
          record({ route: 'claim', body, status: 204, at: Date.now() });
          send(204);
        }, parsed.data.waitSeconds * 1000);
        const retry = () => {
          if (res.writableEnded || res.destroyed) return;
          clearTimeout(timer);
          if (!hand()) send(204);
        };
        waiting.push(retry);
        res.on('close', () => {
          clearTimeout(timer);
          const i = waiting.indexOf(retry);
          if (i >= 0) waiting.splice(i, 1);
        });
        return;
      }
      const m = /^\/v1\/runner\/tasks\/([^/]+)\/(heartbeat|complete|fail)$/.exec(url);
      if (!m) return send(404, { error: { code: 'not_found', message: url } });
      const taskId = decodeURIComponent(m[1]!);
      const route = m[2] as Call['route'];
      const schema = route === 'heartbeat' ? HeartbeatRequest : route === 'complete' ? CompleteRequest : FailRequest;
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        record({ route, taskId, body, status: 400, at: Date.now() });
        return send(400, { error: { code: 'invalid', message: parsed.error.message } });
      }
      const leaseToken = (parsed.data as { leaseToken: string }).leaseToken;
      const when = route === 'heartbeat' ? (parsed.data as { phase: string }).phase : route;
      if (takeOverAt.get(taskId) === when) {
        takeOverAt.delete(taskId);
        leases.set(taskId, 'held-by-another-runner');
      }
      if (leases.get(taskId) !== leaseToken) {
        record({ route, taskId, body, status: 409, at: Date.now() });
        return send(409, { error: { code: 'lease_lost', message: 'the lease was taken over' } });
      }
      record({ route, taskId, body, status: 200, at: Date.now() });
      if (route === 'heartbeat') {
        const ttl = opts.ttlSeconds ?? 60;
        return send(200, { cancel: cancelled.has(taskId), lease: { expiresAt: new Date(Date.now() + ttl * 1000).toISOString(), ttlSeconds: ttl } });
      }
      leases.delete(taskId);
      return send(200, { ok: true });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    calls,
    enqueue(task) {
      queue.push(task);
      waiting.shift()?.();
    },
    enqueueRaw(task) {
      queue.push(task as unknown as Task);
      waiting.shift()?.();
    },
    cancel: (id) => void cancelled.add(id),
    takeOver: (id) => void leases.set(id, 'held-by-another-runner'),
    takeOverAt: (id, phase) => void takeOverAt.set(id, phase),
    async waitFor(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = calls.find(pred);
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching call within ${timeoutMs} ms; calls: ${calls.map((c) => `${c.route}:${c.status}`).join(' ')}`);
        await new Promise<void>((ok) => {
          const t = setTimeout(ok, left);
          watchers.push(() => {
            clearTimeout(t);
            ok();
          });
        });
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
