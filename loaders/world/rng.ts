/**
 * Seeded randomness (mulberry32), so a world is a pure function of its seed.
 * `fork(label)` derives an independent stream from the seed and a label, not from how much the parent
 * has been used: adding an upstream or a test question never changes what the others draw.
 */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  shuffle<T>(xs: readonly T[]): T[];
  /** `k` distinct elements in random order (all of them when k ≥ length). */
  sample<T>(xs: readonly T[], k: number): T[];
  /** Index drawn in proportion to non-negative weights. */
  weighted(weights: readonly number[]): number;
  fork(label: string): Rng;
}

/** FNV-1a, 32 bits: a stable hash for labels and texts. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function _mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`rng: seed must be a finite number, got ${seed}`);
  const next = _mulberry32(seed);
  const int = (lo: number, hi: number) => {
    if (hi < lo) throw new Error(`rng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(next() * (hi - lo + 1));
  };
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = xs.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick<T>(xs: readonly T[]): T {
      if (xs.length === 0) throw new Error("rng.pick: empty list");
      return xs[Math.floor(next() * xs.length)] as T;
    },
    shuffle,
    sample: (xs, k) => shuffle(xs).slice(0, Math.max(0, k)),
    weighted(weights) {
      const total = weights.reduce((s, w) => s + Math.max(0, w), 0);
      if (!(total > 0)) throw new Error("rng.weighted: weights must have a positive sum");
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= Math.max(0, weights[i] ?? 0);
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    fork: (label) => createRng(hashString(`${seed}:${label}`)),
  };
}
