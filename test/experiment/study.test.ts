import { describe, expect, it } from "vitest";
import type { SummaryRow } from "../../loaders/experiment/schemas.js";
import { studyRows, summarizeStudy } from "../../loaders/experiment/study.js";

const cell = (upstream: string, omega: number, lo: number, hi: number, category = "all"): SummaryRow =>
  ({
    run_id: "r",
    method: "aligner",
    upstream,
    upstream_kind: "heldout",
    category,
    shift: "iid",
    dimension: "helpful",
    n: 10,
    omega,
    omega_lo: lo,
    omega_hi: hi,
  }) as SummaryRow;

describe("the seed study", () => {
  const seed = (s: number, omega: number, lo: number, hi: number) =>
    studyRows([cell("terse", omega, lo, hi), cell("terse", 0.9, 0.8, 1, "facts")], { preset: "p", evalWorld: "test", seed: s });

  it("keeps each seed's all-category cells with the seed and the evaluation world", () => {
    const rows = seed(42, 0.1, -0.05, 0.2);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ preset: "p", eval_world: "test", seed: 42, upstream: "terse", omega: 0.1, omega_lo: -0.05 });
  });

  it("gives ω's mean and sample spread over seeds, and counts the seeds whose interval excludes 0", () => {
    const [row] = summarizeStudy([...seed(44, -0.2, -0.3, -0.1), ...seed(42, 0.1, -0.05, 0.2), ...seed(43, 0.4, 0.3, 0.5)]);
    expect(row).toMatchObject({
      seeds: 3,
      seed_list: "42,43,44",
      omega_min: -0.2,
      omega_max: 0.4,
      seeds_above_zero: 1,
      seeds_below_zero: 1,
    });
    expect(row!.omega_mean).toBeCloseTo(0.1, 12);
    expect(row!.omega_sd).toBeCloseTo(0.3, 12); // deviations −0.3, 0, +0.3: sqrt(0.18 / 2)
    expect(row!.omega_lo_mean).toBeCloseTo((-0.3 - 0.05 + 0.3) / 3, 12);
    expect(summarizeStudy(seed(42, 0.1, -0.05, 0.2))[0]!.omega_sd).toBe(0);
  });

  it("refuses a seed listed twice", () => {
    expect(() => summarizeStudy([...seed(42, 0.1, 0, 0.2), ...seed(42, 0.1, 0, 0.2)])).toThrow(/seed listed twice/);
  });
});
