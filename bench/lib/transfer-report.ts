// Formatting for bench/transfer.ts: medians, MB/s (10^6 bytes per second) and the table.

export interface Sample {
  /** curl = bytes only; curl+verify = the same curl transfers plus the operator's hash checks. */
  method: 'snapflow' | 'curl' | 'curl+verify';
  round: number;
  downloadMs: number;
  uploadMs: number;
  peakRssKiB: number | undefined;
  /** snapflow only: peak RSS before any image byte moved. */
  baselineKiB?: number;
}

export const RATIO_TARGET = 0.9;
export const RSS_TARGET_MIB = 128;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
const mib = (kib: number | undefined): string => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);
const pad = (s: string, n: number): string => s.padStart(n);

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${bytes} B`;
}

export function roundLine(s: Sample, bytes: number): string {
  return `  round ${s.round + 1} ${s.method.padEnd(11)}  download ${pad(mbps(bytes, s.downloadMs).toFixed(1), 7)} MB/s  upload ${pad(
    mbps(bytes, s.uploadMs).toFixed(1),
    7,
  )} MB/s  peak RSS ${mib(s.peakRssKiB)}${s.baselineKiB ? ` (${mib(s.baselineKiB)} before the first byte)` : ''}`;
}

export interface Summary {
  lines: string[];
  meetsTargets: boolean;
}

export function summarise(samples: Sample[], bytes: number): Summary {
  const of = (m: Sample['method']) => {
    const xs = samples.filter((s) => s.method === m);
    const rss = xs.map((s) => s.peakRssKiB).filter((k): k is number => k !== undefined);
    return {
      down: mbps(bytes, median(xs.map((s) => s.downloadMs))),
      up: mbps(bytes, median(xs.map((s) => s.uploadMs))),
      // Worst round, not median: the memory bound has to hold every time.
      rss: rss.length ? Math.max(...rss) : undefined,
    };
  };
  const sf = of('snapflow');
  const raw = of('curl');
  const ver = of('curl+verify');
  const ratio = (b: typeof raw) => ({ down: sf.down / b.down, up: sf.up / b.up });
  const vsRaw = ratio(raw);
  const vsVer = ratio(ver);
  const rssOk = sf.rss !== undefined && sf.rss / 1024 <= RSS_TARGET_MIB;
  const mark = (r: number) => (r >= RATIO_TARGET ? 'ok' : 'MISSED');
  const row = (name: string, a: string, b: string, c: string) => `  ${name.padEnd(26)}${pad(a, 15)}${pad(b, 15)}${pad(c, 16)}`;
  const lines = [
    row('', 'download MB/s', 'upload MB/s', 'peak RSS (max)'),
    row('snapflow (verifies)', sf.down.toFixed(1), sf.up.toFixed(1), mib(sf.rss)),
    row('A curl, bytes only', raw.down.toFixed(1), raw.up.toFixed(1), mib(raw.rss)),
    row('B curl + sha512sum', ver.down.toFixed(1), ver.up.toFixed(1), mib(ver.rss)),
    row('snapflow / A', `${vsRaw.down.toFixed(3)}x`, `${vsRaw.up.toFixed(3)}x`, ''),
    row('snapflow / B', `${vsVer.down.toFixed(3)}x`, `${vsVer.up.toFixed(3)}x`, ''),
    '',
    `  A = raw curl: moves the bytes, checks nothing (the wire and Glance's own speed).`,
    `  B = curl doing snapflow's job by hand, each leg timed end to end: download = curl -o f, GET the image record,`,
    `      sha512sum f, compare os_hash_value; upload = sha512sum f, curl -T f, GET the record, compare os_hash_value.`,
    `  targets (>= ${RATIO_TARGET}x): vs A download ${mark(vsRaw.down)}, upload ${mark(vsRaw.up)};` +
      ` vs B download ${mark(vsVer.down)}, upload ${mark(vsVer.up)}; snapflow peak RSS <= ${RSS_TARGET_MIB} MiB: ${rssOk ? 'ok' : 'MISSED'}`,
  ];
  return { lines, meetsTargets: vsRaw.down >= RATIO_TARGET && vsRaw.up >= RATIO_TARGET && rssOk };
}
