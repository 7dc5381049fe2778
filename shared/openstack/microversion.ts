export type Microversion = `${number}.${number}`;

export function parseMicroversion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`invalid microversion ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

export function compareMicroversions(a: string, b: string): number {
  const [am, an] = parseMicroversion(a);
  const [bm, bn] = parseMicroversion(b);
  return am === bm ? an - bn : am - bm;
}

export function atLeast(v: string, min: string): boolean {
  return compareMicroversions(v, min) >= 0;
}
