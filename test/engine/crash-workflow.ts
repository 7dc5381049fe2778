// The workflow the crash-injection test kills at every step boundary and in the middle of
// steps. Each creating step is written the way real snapflow steps must be: it tags what
// it creates with snapflow_job=<id> and looks for an earlier attempt's creation first.
// Shared by the child process (crash-child.ts) and the parent that finishes the job.
import { z } from 'zod';
import { type AnyStep, defineStep, defineWorkflow } from '../../shared/engine/define';
import { done } from '../../shared/engine/results';

export interface SimCloud {
  url: string;
  auth: { auth_url: string; username: string; password: string; project_name: string; user_domain_id: string; project_domain_id: string };
}

export const CREATING_STEPS = ['createA', 'createB', 'createC'] as const;

const imageList = z.object({ images: z.array(z.looseObject({ id: z.string() })) });
const imageCreated = z.looseObject({ id: z.string() });

export class GlanceLite {
  private token: string | null = null;
  constructor(private readonly cloud: SimCloud) {}

  private async auth(signal: AbortSignal): Promise<string> {
    if (this.token) return this.token;
    const a = this.cloud.auth;
    const res = await fetch(`${a.auth_url}/auth/tokens`, {
      method: 'POST',
      signal,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: a.username, domain: { id: a.user_domain_id }, password: a.password } } },
          scope: { project: { name: a.project_name, domain: { id: a.project_domain_id } } },
        },
      }),
    });
    await res.arrayBuffer();
    const token = res.headers.get('x-subject-token');
    if (!res.ok || !token) throw Object.assign(new Error(`keystone answered ${res.status}`), { status: res.status, service: 'identity' });
    this.token = token;
    return token;
  }

  async find(jobId: string, step: string, signal: AbortSignal, record: (id: string | null) => void): Promise<string | undefined> {
    const q = new URLSearchParams({ snapflow_job: jobId, snapflow_step: step });
    const res = await fetch(`${this.cloud.url}/v2/images?${q}`, { signal, headers: { 'X-Auth-Token': await this.auth(signal) } });
    record(res.headers.get('x-openstack-request-id'));
    if (!res.ok) throw Object.assign(new Error(`glance list answered ${res.status}`), { status: res.status, service: 'image' });
    return imageList.parse(await res.json()).images[0]?.id;
  }

  /** Every image tagged with this job (any step). */
  async countTagged(jobId: string): Promise<number> {
    const signal = AbortSignal.timeout(10_000);
    const res = await fetch(`${this.cloud.url}/v2/images?${new URLSearchParams({ snapflow_job: jobId, limit: '1000' })}`, {
      signal,
      headers: { 'X-Auth-Token': await this.auth(signal) },
    });
    if (!res.ok) throw new Error(`glance list answered ${res.status}`);
    return imageList.parse(await res.json()).images.length;
  }

  async create(jobId: string, step: string, signal: AbortSignal, record: (id: string | null) => void): Promise<string> {
    const res = await fetch(`${this.cloud.url}/v2/images`, {
      method: 'POST',
      signal,
      headers: { 'X-Auth-Token': await this.auth(signal), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `${step}-${jobId}`, disk_format: 'qcow2', container_format: 'bare', snapflow_job: jobId, snapflow_step: step }),
    });
    record(res.headers.get('x-openstack-request-id'));
    if (!res.ok) throw Object.assign(new Error(`glance create answered ${res.status}`), { status: res.status, service: 'image' });
    return imageCreated.parse(await res.json()).id;
  }
}

/** `mark(name)` is awaited at every kill point; the child makes it hang at the chosen one. */
export function crashWorkflow(glance: GlanceLite, mark: (name: string) => Promise<void>) {
  const retry = { maxAttempts: 8, baseMs: 50, maxMs: 200, factor: 2 };
  const creating: AnyStep[] = CREATING_STEPS.map((name) =>
    defineStep({
      name,
      mutating: true,
      retry,
      timeout: 10_000,
      run: async (ctx) => {
        await mark(`start:${name}`);
        const record = (id: string | null) => ctx.recordRequestId(id);
        const found = await glance.find(ctx.job.id, name, ctx.signal, record);
        const id = found ?? (await glance.create(ctx.job.id, name, ctx.signal, record));
        await mark(`effect:${name}`);
        return done({ [name]: id });
      },
    }),
  );
  const finish = defineStep({
    name: 'finish',
    retry,
    timeout: 10_000,
    run: async () => {
      await mark('start:finish');
      return done({ finished: true });
    },
  });
  return defineWorkflow({ kind: 'crashy', params: z.object({}), steps: [...creating, finish] });
}

/** Every kill point, in the order a clean run passes them. */
export const KILL_POINTS: string[] = ['submitted', ...CREATING_STEPS.flatMap((s) => [`start:${s}`, `effect:${s}`, `commit:${s}`]), 'start:finish'];
