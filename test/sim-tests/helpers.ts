import type { SimHandle } from '../../shared/sim/server';
import { startSimulator } from '../../shared/sim/server';

export interface Session {
  token: string;
  projectId: string;
  userId: string;
  catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }>;
}

export async function login(sim: SimHandle, project = 'admin', user = 'admin', password = user === 'admin' ? 'admin-secret' : 'demo-secret'): Promise<Session> {
  const r = await fetch(`${sim.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`login failed: ${r.status}`);
  const body = (await r.json()) as { token: { project: { id: string }; user: { id: string }; catalog: Session['catalog'] } };
  return { token: r.headers.get('x-subject-token')!, projectId: body.token.project.id, userId: body.token.user.id, catalog: body.token.catalog };
}

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function client(sim: SimHandle, s: Session, mv = '2.79') {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> => {
    // Cinder answers 400 to an OpenStack-API-Version header without a volume version (lab)
    const version = /^\/v3\/[0-9a-f]{32}\//.test(path) ? 'volume 3.0' : `compute ${mv}`;
    const h: Record<string, string> = { 'X-Auth-Token': s.token, 'OpenStack-API-Version': version, ...headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['Content-Type'] ??= 'application/json';
    }
    const r = await fetch(`${sim.url}${path}`, { method, headers: h, body: payload });
    const text = await r.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: r.status, headers: r.headers, text, json };
  };
}

/** Poll until fn returns a truthy value; throws at the deadline. */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 5_000, stepMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: deadline passed');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A started simulator with an admin session and a client: the common start of these suites. */
export async function openSimSession(): Promise<{ sim: SimHandle; s: Session; api: ReturnType<typeof client> }> {
  const sim = await startSimulator();
  const s = await login(sim);
  return { sim, s, api: client(sim, s) };
}
