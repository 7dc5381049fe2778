// A tiny Prometheus registry (text exposition format 0.0.4): counters, gauges and
// histograms with labels. No dependency and no Node built-ins, so the Workers build can
// serve /metrics too (per isolate: Workers metrics are best-effort by nature).

export type Labels = Record<string, string>;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A series per distinct label combination: an unbounded label (ids, paths with ids) would leak memory. */
const MAX_SERIES_PER_METRIC = 10_000;

export const DEFAULT_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

export interface Gauge {
  set(labels: Labels, value: number): void;
  inc(labels?: Labels, by?: number): void;
  dec(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
  /** Drops every series (e.g. before re-filling a gauge from a fresh store count). */
  reset(): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
  /** [count, sum] of one series. */
  get(labels?: Labels): { count: number; sum: number };
}

export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): Histogram;
  /** Runs before every render (e.g. refreshes gauges); errors are swallowed so /metrics stays up. */
  onCollect(fn: () => void | Promise<void>): void;
  render(): Promise<string>;
}

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: readonly string[];
  lines(): string[];
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(pairs: readonly (readonly [string, string])[]): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

class SeriesMap<T> {
  private readonly map = new Map<string, { labels: [string, string][]; value: T }>();
  constructor(
    private readonly metric: string,
    private readonly labelNames: readonly string[],
    private readonly init: () => T,
  ) {}

  private key(labels: Labels): { key: string; pairs: [string, string][] } {
    for (const k of Object.keys(labels)) {
      if (!this.labelNames.includes(k)) throw new TypeError(`metric ${this.metric}: unknown label "${k}"`);
    }
    const pairs = this.labelNames.map((n): [string, string] => [n, String(labels[n] ?? '')]);
    return { key: JSON.stringify(pairs.map((p) => p[1])), pairs };
  }

  /** The series' value holder, or null when the series cap is reached (the sample is dropped). */
  at(labels: Labels): T | null {
    const { key, pairs } = this.key(labels);
    let s = this.map.get(key);
    if (!s) {
      if (this.map.size >= MAX_SERIES_PER_METRIC) return null;
      s = { labels: pairs, value: this.init() };
      this.map.set(key, s);
    }
    return s.value;
  }

  peek(labels: Labels): T | undefined {
    return this.map.get(this.key(labels).key)?.value;
  }

  entries(): { labels: [string, string][]; value: T }[] {
    return [...this.map.values()];
  }

  clear(): void {
    this.map.clear();
  }
}

export function createMetricsRegistry(): MetricsRegistry {
  const metrics = new Map<string, Metric>();
  const collectors: (() => void | Promise<void>)[] = [];

  function register<M extends Metric>(m: M): M {
    if (!NAME_RE.test(m.name)) throw new TypeError(`invalid metric name "${m.name}"`);
    for (const l of m.labelNames) {
      if (!LABEL_RE.test(l) || l.startsWith('__') || l === 'le') throw new TypeError(`metric ${m.name}: invalid label name "${l}"`);
    }
    if (metrics.has(m.name)) throw new TypeError(`metric "${m.name}" registered twice`);
    metrics.set(m.name, m);
    return m;
  }

  return {
    counter(name, help, labelNames = []) {
      const series = new SeriesMap<{ v: number }>(name, labelNames, () => ({ v: 0 }));
      register({
        name,
        help,
        type: 'counter',
        labelNames,
        lines: () => series.entries().map((s) => `${name}${labelText(s.labels)} ${formatValue(s.value.v)}`),
      });
      return {
        inc(labels = {}, by = 1) {
          if (!(by >= 0)) throw new RangeError(`counter ${name} can only increase`);
          const s = series.at(labels);
          if (s) s.v += by;
        },
        get: (labels = {}) => series.peek(labels)?.v ?? 0,
      };
    },

    gauge(name, help, labelNames = []) {
      const series = new SeriesMap<{ v: number }>(name, labelNames, () => ({ v: 0 }));
      register({
        name,
        help,
        type: 'gauge',
        labelNames,
        lines: () => series.entries().map((s) => `${name}${labelText(s.labels)} ${formatValue(s.value.v)}`),
      });
      const add = (labels: Labels, by: number) => {
        const s = series.at(labels);
        if (s) s.v += by;
      };
      return {
        set(labels, value) {
          const s = series.at(labels);
          if (s) s.v = value;
        },
        inc: (labels = {}, by = 1) => add(labels, by),
        dec: (labels = {}, by = 1) => add(labels, -by),
        get: (labels = {}) => series.peek(labels)?.v ?? 0,
        reset: () => series.clear(),
      };
    },

    histogram(name, help, labelNames = [], buckets = DEFAULT_BUCKETS_SECONDS) {
      const bounds = [...buckets].sort((a, b) => a - b);
      if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b === bounds[i - 1]))) {
        throw new TypeError(`histogram ${name}: buckets must be finite and distinct`);
      }
      const series = new SeriesMap<{ counts: number[]; sum: number; count: number }>(name, labelNames, () => ({
        counts: bounds.map(() => 0),
        sum: 0,
        count: 0,
      }));
      register({
        name,
        help,
        type: 'histogram',
        labelNames,
        lines: () =>
          series.entries().flatMap((s) => {
            const out: string[] = [];
            // Buckets are cumulative in the exposition format.
            bounds.forEach((b, i) => {
              out.push(`${name}_bucket${labelText([...s.labels, ['le', formatValue(b)]])} ${s.value.counts[i]}`);
            });
            out.push(`${name}_bucket${labelText([...s.labels, ['le', '+Inf']])} ${s.value.count}`);
            out.push(`${name}_sum${labelText(s.labels)} ${formatValue(s.value.sum)}`);
            out.push(`${name}_count${labelText(s.labels)} ${s.value.count}`);
            return out;
          }),
      });
      return {
        observe(labels, value) {
          if (!Number.isFinite(value)) return;
          const s = series.at(labels);
          if (!s) return;
          bounds.forEach((b, i) => {
            if (value <= b) s.counts[i]! += 1;
          });
          s.sum += value;
          s.count += 1;
        },
        get: (labels = {}) => {
          const s = series.peek(labels);
          return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
        },
      };
    },

    onCollect(fn) {
      collectors.push(fn);
    },

    async render() {
      for (const fn of collectors) {
        try {
          await fn();
        } catch {
          // A failing collector (e.g. the DB is down) must not take /metrics down with it.
        }
      }
      const out: string[] = [];
      for (const m of metrics.values()) {
        out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.lines());
      }
      return `${out.join('\n')}\n`;
    },
  };
}
