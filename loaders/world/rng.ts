/**
 * Seeded randomness (mulberry32), so a world is a pure function of its seed.
 * `fork(label)` derives an independent stream from the seed and a label, not from how much the parent
 * has been used: adding an upstream or a test question never changes what the others draw.
 */
import { createRng as mulberry32, shuffle as shuffled } from "../engine/random.js";

export interface WorldRng {
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
  fork(label: string): WorldRng;
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

/** The world's WorldRng: loaders/engine/random.ts's mulberry32 stream with the helpers families need, and forks. */
export function createWorldRng(seed: number): WorldRng {
  if (!Number.isFinite(seed)) throw new Error(`rng: seed must be a finite number, got ${seed}`);
  const stream = mulberry32(seed);
  const next = () => stream();
  const int = (lo: number, hi: number) => {
    if (hi < lo) throw new Error(`rng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(next() * (hi - lo + 1));
  };
  const shuffle = <T>(xs: readonly T[]): T[] => shuffled(next, xs);
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
    fork: (label) => createWorldRng(hashString(`${seed}:${label}`)),
  };
}
