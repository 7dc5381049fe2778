import type { IncomingMessage } from 'node:http';

export interface FaultSpec {
  method?: string;
  /** 'POST /v2.1/servers/{id}/action', 'POST /v2.1/servers/{id}/action:createImage', or a RegExp on the path */
  route: string | RegExp;
  /** how many matching requests it affects; unlimited when omitted */
  times?: number;
  status?: number;
  /** response body; default: the service's real error shape with a "simulated fault" message */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** destroy the socket without answering */
  drop?: boolean;
  /** answer normally, but destroy the socket after this many bytes of image data (GET .../file) */
  cutAfterBytes?: number;
  when?: (req: IncomingMessage) => boolean;
}

interface Armed extends FaultSpec {
  left: number;
}

export class Faults {
  private list: Armed[] = [];

  add(f: FaultSpec): void {
    this.list.push({ ...f, left: f.times ?? Number.POSITIVE_INFINITY });
  }
  clear(): void {
    this.list = [];
  }

  /** The first armed fault matching this request, consumed once. */
  take(req: IncomingMessage, method: string, path: string, template: string, key: string): FaultSpec | null {
    for (const f of this.list) {
      if (f.left <= 0 || !matches(f, method, path, template, key)) continue;
      if (f.when && !f.when(req)) continue;
      f.left -= 1;
      return f;
    }
    return null;
  }
}

function matches(f: FaultSpec, method: string, path: string, template: string, key: string): boolean {
  if (f.route instanceof RegExp) return (!f.method || f.method.toUpperCase() === method) && f.route.test(path);
  let spec = f.route.trim();
  let m = f.method?.toUpperCase();
  const sp = spec.indexOf(' ');
  if (sp > 0) {
    m = spec.slice(0, sp).toUpperCase();
    spec = spec.slice(sp + 1).trim();
  }
  if (m && m !== method) return false;
  const keyPath = key.slice(key.indexOf(' ') + 1);
  return spec === template || spec === keyPath;
}

export class Counters {
  private map = new Map<string, number>();
  inc(key: string): void {
    this.map.set(key, (this.map.get(key) ?? 0) + 1);
  }
  /** 'POST /v2.1/servers/{id}/action' sums every action; add ':createImage' for one */
  get(key: string): number {
    const direct = this.map.get(key) ?? 0;
    if (direct || key.includes(':')) return direct;
    let sum = 0;
    for (const [k, v] of this.map) if (k.startsWith(`${key}:`)) sum += v;
    return sum;
  }
  all(): Record<string, number> {
    return Object.fromEntries(this.map);
  }
  reset(): void {
    this.map.clear();
  }
}
