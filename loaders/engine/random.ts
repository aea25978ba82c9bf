/**
 * Seeded randomness: mulberry32, the small PRNG that ../shared/bench/torch_gpt.py ports bit-exactly,
 * with its state exposed so a resumed run continues the same stream.
 */
export interface Rng {
  /** A float in [0, 1). */
  (): number;
  /** The generator's internal state (a uint32), for checkpoints. */
  state(): number;
}

/** mulberry32 seeded with `seed` (any integer; taken mod 2^32). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.state = () => a;
  return next;
}

/** An integer in [0, n). */
export const randomInt = (rng: () => number, n: number): number => Math.floor(rng() * n);

/** One element of a non-empty array. */
export function pick<T>(rng: () => number, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError("pick from an empty array");
  return items[randomInt(rng, items.length)]!;
}

/** A shuffled copy (Fisher–Yates). */
export function shuffle<T>(rng: () => number, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
