// "did you mean …?" for a misspelled configuration key (`pasword` → `password`).

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest known key within a small edit distance, if any. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  // short keys tolerate one edit; longer ones two (a transposition counts as two)
  const limit = lower.length <= 4 ? 1 : 2;
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}
