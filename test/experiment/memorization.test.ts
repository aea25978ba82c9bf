import { describe, expect, it } from "vitest";
import { measureMemorization } from "../../loaders/experiment/memorization.js";

describe("measureMemorization", () => {
  it("counts golds and outputs found verbatim among the training corrections, per group and pooled", () => {
    const rows = measureMemorization(
      ["A.", "B."],
      [
        { category: "facts", shift: "iid", gold: "A.", output: "C." },
        { category: "facts", shift: "iid", gold: "D.", output: "B." },
        { category: "harmful", shift: "ood", gold: "B.", output: null },
      ],
      { runId: "r" },
    );
    const at = (c: string, s: string) => rows.find((r) => r.category === c && r.shift === s);
    expect(at("facts", "iid")).toMatchObject({ n: 2, gold_memorized: 0.5, output_memorized: 0.5 });
    expect(at("harmful", "ood")).toMatchObject({ n: 1, gold_memorized: 1, output_memorized: null });
    expect(at("non_refusal", "all")).toMatchObject({ n: 2, gold_memorized: 0.5 });
    expect(at("all", "all")).toMatchObject({ n: 3, gold_memorized: 0.667 });
  });
});
