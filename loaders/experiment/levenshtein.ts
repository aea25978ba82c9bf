/** Levenshtein distance over token sequences: the full table, and a bounded version for D_L on long texts. */

/** Levenshtein distance between two sequences (insert, delete, substitute cost 1). */
export function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length < b.length) return levenshtein(b, a);
  let prev = new Uint32Array(b.length + 1).map((_, j) => j);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The most DP cells one D_L may cost: past it `levenshteinWithin` gives up (null), so one pair of
 * long texts cannot stall `aligner metrics` or the site build. 25M cells is about 0.1–0.3 s, e.g. a
 * full table for two 5,000-token texts, or two 100,000-token texts that differ by at most ~120 edits.
 */
export const DL_MAX_CELLS = 25_000_000;

/**
 * Exactly `levenshtein(a, b)` when it can be found within `maxCells` DP cells, else null. A common
 * prefix and suffix are dropped first (that keeps the distance); then the full table when it fits,
 * else Ukkonen's band |i − j| ≤ k with k doubling, which is exact once the distance is ≤ k.
 */
export function levenshteinWithin<T>(a: readonly T[], b: readonly T[], maxCells: number = DL_MAX_CELLS): number | null {
  let start = 0;
  let endA = a.length;
  let endB = b.length;
  while (start < endA && start < endB && a[start] === b[start]) start++;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) (endA--, endB--);
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  if (x.length === 0 || y.length === 0) return x.length + y.length;
  if (x.length * y.length <= maxCells) return levenshtein(x, y);
  const [long, short] = x.length >= y.length ? [x, y] : [y, x];
  for (let k = Math.max(long.length - short.length, 16); ; k *= 2) {
    if (long.length * (2 * k + 1) > maxCells) return null;
    const d = _banded(long, short, k);
    if (d <= k) return d;
  }
}

/** Levenshtein restricted to the band |i − j| ≤ k (cells outside count as k + 1); exact when ≤ k. */
function _banded<T>(a: readonly T[], b: readonly T[], k: number): number {
  const big = k + 1;
  const w = 2 * k + 1; // row i holds j = i − k … i + k at offset j − i + k
  let prev = new Uint32Array(w).fill(big);
  let cur = new Uint32Array(w);
  for (let j = 0; j <= Math.min(k, b.length); j++) prev[j + k] = j;
  for (let i = 1; i <= a.length; i++) {
    cur.fill(big);
    const lo = Math.max(0, i - k);
    const hi = Math.min(b.length, i + k);
    for (let j = lo; j <= hi; j++) {
      const o = j - i + k;
      if (j === 0) {
        cur[o] = i;
        continue;
      }
      const sub = prev[o]! + (a[i - 1] === b[j - 1] ? 0 : 1); // (i−1, j−1) sits at the same offset
      const del = o + 1 < w ? prev[o + 1]! + 1 : big; // (i−1, j)
      const ins = o > 0 ? cur[o - 1]! + 1 : big; // (i, j−1)
      cur[o] = Math.min(sub, del, ins, big);
    }
    [prev, cur] = [cur, prev];
  }
  return b.length - a.length + k < w ? prev[b.length - a.length + k]! : big;
}
