import { Agent, type Dispatcher, request } from 'undici';
import { z } from 'zod';
import {
  type ClaimRequest,
  type CompleteRequest,
  type FailRequest,
  type HeartbeatRequest,
  HeartbeatResponse,
  LeaseLost,
  Task,
} from '../shared/runner/protocol';

// The runner's side of the protocol in shared/runner/protocol.ts: four POSTs with the runner
// token. Answers are validated; a 409 `lease_lost` is an answer (the task belongs to someone
// else now), not an error. The token is only ever put in the Authorization header.

export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A claimed task whose body does not match the protocol: failed back if it can be named. */
export class InvalidTaskError extends Error {
  override name = 'InvalidTaskError';
  constructor(
    message: string,
    readonly taskId: string | undefined,
    readonly leaseToken: string | undefined,
  ) {
    super(message);
  }
}

export type LeaseAnswer<T> = { ok: true; value: T } | { ok: false; leaseLost: true };

export interface ServiceClientOptions {
  url: string;
  token: string;
  userAgent?: string;
  /** For calls other than claim (claim waits waitSeconds on top). */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export class RunnerServiceClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(private readonly opts: ServiceClientOptions) {
    this.ownsDispatcher = !opts.dispatcher;
    this.dispatcher = opts.dispatcher ?? new Agent({ connect: { timeout: 10_000 }, keepAliveTimeout: 30_000, connections: 8 });
  }

  /** A task, or null when the service had none within waitSeconds. */
  async claim(body: ClaimRequest, signal?: AbortSignal): Promise<Task | null> {
    const res = await this.post('/v1/runner/claim', body, (body.waitSeconds + 15) * 1000, signal);
    if (res.status === 204) return null;
    if (res.status !== 200) throw this.unexpected('claim', res);
    const parsed = Task.safeParse(res.json);
    if (parsed.success) return parsed.data;
    const raw = res.json as { id?: unknown; lease?: { token?: unknown } } | undefined;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw new InvalidTaskError(
      `the claimed task does not match the protocol (${where})`,
      typeof raw?.id === 'string' ? raw.id : undefined,
      typeof raw?.lease?.token === 'string' ? raw.lease.token : undefined,
    );
  }

  async heartbeat(taskId: string, body: HeartbeatRequest, signal?: AbortSignal): Promise<LeaseAnswer<HeartbeatResponse>> {
    const res = await this.post(`/v1/runner/tasks/${encodeURIComponent(taskId)}/heartbeat`, body, undefined, signal);
    if (isLeaseLost(res)) return { ok: false, leaseLost: true };
    if (res.status !== 200) throw this.unexpected('heartbeat', res);
    const parsed = HeartbeatResponse.safeParse(res.json);
    if (!parsed.success) throw new ServiceError('heartbeat: the answer does not match the protocol', res.status, false);
    return { ok: true, value: parsed.data };
  }

  async complete(taskId: string, body: CompleteRequest): Promise<LeaseAnswer<null>> {
    return this.report('complete', taskId, body);
  }

  async fail(taskId: string, body: FailRequest): Promise<LeaseAnswer<null>> {
    return this.report('fail', taskId, body);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async report(what: 'complete' | 'fail', taskId: string, body: CompleteRequest | FailRequest): Promise<LeaseAnswer<null>> {
    const res = await this.post(`/v1/runner/tasks/${encodeURIComponent(taskId)}/${what}`, body);
    if (isLeaseLost(res)) return { ok: false, leaseLost: true };
    if (res.status < 200 || res.status >= 300) throw this.unexpected(what, res);
    return { ok: true, value: null };
  }

  private async post(
    path: string,
    body: unknown,
    timeoutMs = this.opts.timeoutMs ?? 30_000,
    signal?: AbortSignal,
  ): Promise<{ status: number; json: unknown; text: string }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(`${this.opts.url}${path}`, {
        dispatcher: this.dispatcher,
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': this.opts.userAgent ?? 'snapflow-runner/0.1',
        },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const why = timeout.aborted ? `timed out after ${timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      throw new ServiceError(`POST ${path}: ${why}`, 0, true);
    }
  }

  private unexpected(what: string, res: { status: number; json: unknown; text: string }): ServiceError {
    const msg = z
      .object({ error: z.object({ message: z.string() }).loose() })
      .loose()
      .safeParse(res.json);
    const detail = msg.success ? msg.data.error.message : res.text.slice(0, 200);
    return new ServiceError(`${what}: the service answered ${res.status}: ${detail}`, res.status, res.status >= 500 || res.status === 429);
  }
}

function isLeaseLost(res: { status: number; json: unknown }): boolean {
  return res.status === 409 && LeaseLost.safeParse(res.json).success;
}
