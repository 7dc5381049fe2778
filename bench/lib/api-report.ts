// Tables for bench/api-economy.ts: per-route call counts side by side, and timing rows.

export type RouteCounts = Record<string, number>;

export function total(c: RouteCounts): number {
  return Object.values(c).reduce((a, b) => a + b, 0);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One row per route, one column per run; totals and the snapflow/CLI ratio at the bottom. */
export function countsTable(title: string, cols: Record<string, RouteCounts>): string {
  const names = Object.keys(cols);
  const routes = [...new Set(names.flatMap((n) => Object.keys(cols[n]!)))].sort();
  const w = Math.max(44, ...routes.map((r) => r.length));
  const head = `${'route'.padEnd(w)} ${names.map((n) => n.padStart(10)).join(' ')}`;
  const rows = routes.map((r) => `${r.padEnd(w)} ${names.map((n) => String(cols[n]![r] ?? 0).padStart(10)).join(' ')}`);
  const totals = `${'TOTAL'.padEnd(w)} ${names.map((n) => String(total(cols[n]!)).padStart(10)).join(' ')}`;
  return [`== ${title}`, head, '-'.repeat(head.length), ...rows, '-'.repeat(head.length), totals].join('\n');
}

export function ratio(a: number, b: number): string {
  return b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;
}

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
