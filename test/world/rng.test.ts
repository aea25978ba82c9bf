import { describe, expect, it } from "vitest";
import { createWorldRng, hashString } from "../../loaders/world/rng.js";

const draw = (seed: number, n = 5) => {
  const rng = createWorldRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe("createWorldRng", () => {
  it("repeats the same stream for the same seed", () => expect(draw(42)).toEqual(draw(42)));

  it("gives different streams for different seeds", () => expect(draw(42)).not.toEqual(draw(43)));

  it("stays in [0, 1) and int stays in its inclusive range", () => {
    const rng = createWorldRng(1);
    for (let i = 0; i < 2000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      const k = rng.int(3, 5);
      expect(k >= 3 && k <= 5 && Number.isInteger(k)).toBe(true);
    }
  });

  it("forks by label, independent of how much the parent was used", () => {
    const a = createWorldRng(7);
    const b = createWorldRng(7);
    b.next();
    b.next();
    expect(a.fork("x").next()).toBe(b.fork("x").next());
    expect(a.fork("x").next()).not.toBe(a.fork("y").next());
  });

  it("draws weighted indices in proportion and never a zero weight", () => {
    const rng = createWorldRng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[rng.weighted([1, 0, 3])]! += 1;
    expect(counts[1]).toBe(0);
    expect((counts[2] ?? 0) / 4000).toBeCloseTo(0.75, 1);
  });

  it("samples distinct elements and shuffles without losing any", () => {
    const rng = createWorldRng(9);
    const xs = [1, 2, 3, 4, 5, 6];
    expect(new Set(rng.sample(xs, 4)).size).toBe(4);
    expect([...rng.shuffle(xs)].sort()).toEqual(xs);
  });

  it.each([
    ["pick on an empty list", () => createWorldRng(1).pick([])],
    ["an empty int range", () => createWorldRng(1).int(5, 4)],
    ["all-zero weights", () => createWorldRng(1).weighted([0, 0])],
    ["a non-finite seed", () => createWorldRng(Number.NaN)],
  ])("throws on %s", (_, fn) => expect(fn).toThrow());

  it("hashes strings stably", () => expect(hashString("aligner")).toBe(hashString("aligner")));
});
