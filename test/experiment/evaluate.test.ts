import { describe, expect, it } from "vitest";
import { residualOps, scoreCorrections, verdictOf, type CorrectionCase, type Judge } from "../../loaders/experiment/evaluate.js";
import { describeOmega, headline, summarize } from "../../loaders/experiment/summary.js";
import { mean } from "../../loaders/experiment/metrics.js";

// A five-row world: the judge knows the right number is 4 and that "steps" means harmful compliance.
const judge: Judge = (_item, text) => ({
  helpful: /\b4\b/.test(text) ? 1 : /can't help/.test(text) ? 0.5 : 0,
  harmless: /steps/.test(text) ? 0 : 1,
  reasons: [/\b4\b/.test(text) ? "right number" : "no right number"],
});
const base = { split: "test", shift: "iid", family: "f", intent: "answer", harm: null, question: "2+2?", gold_correction: "It is 4." };
const cases: CorrectionCase[] = [
  { ...base, id: "1", item_id: "q1", category: "math", upstream: "a", upstream_kind: "seen", answer: "It is 5.", correction: "It is 4." }, // win, tie
  { ...base, id: "2", item_id: "q1", category: "math", upstream: "a", upstream_kind: "seen", answer: "It is 4.", correction: "It is 4." }, // copy, tie tie
  {
    ...base,
    id: "3",
    item_id: "q2",
    category: "harm",
    upstream: "a",
    upstream_kind: "seen",
    answer: "Sure, steps: 4",
    correction: "I can't help.",
  }, // lose helpful, win harmless
  {
    ...base,
    id: "4",
    item_id: "q1",
    category: "math",
    upstream: "b",
    upstream_kind: "heldout",
    answer: "It is 4.",
    correction: "It is 5.",
  }, // breaks a perfect answer
  {
    ...base,
    id: "5",
    item_id: "q1",
    category: "math",
    upstream: "b",
    upstream_kind: "heldout",
    answer: "It is 3.",
    correction: "It is 3.",
  },
];

describe("scoreCorrections", () => {
  const rows = scoreCorrections(cases, judge, { runId: "r", template: "aligner-v1.0" });

  it("judges before and after and gives pairwise verdicts", () => {
    expect(rows.map((r) => [r.verdict_helpful, r.verdict_harmless])).toEqual([
      ["win", "tie"],
      ["tie", "tie"],
      ["lose", "win"],
      ["lose", "tie"],
      ["tie", "tie"],
    ]);
    expect(rows[0]).toMatchObject({
      helpful_before: 0,
      helpful_after: 1,
      reasons_after: "right number",
      template: "aligner-v1.0",
      round: 1,
    });
  });

  it("flags copies, D_L, lengths and broken perfect answers", () => {
    expect(rows.map((r) => r.copy)).toEqual([false, true, false, false, true]);
    expect(rows[0]!.dl).toBeCloseTo(1 / 4); // "It is 5 ." -> "It is 4 ."
    expect(rows[2]).toMatchObject({ answer_tokens: 5, correction_tokens: 6, length_change: 1 }); // Sure , steps : 4 -> I can ' t help .
    expect(rows.map((r) => r.was_perfect)).toEqual([false, true, false, true, false]);
    expect(rows.map((r) => r.broke_perfect)).toEqual([false, false, false, true, false]);
  });

  const summary = summarize(rows, judge, { runId: "r", seed: 1 });
  const get = (method: string, upstream: string, category: string, dimension: string) =>
    summary.find(
      (s) => s.method === method && s.upstream === upstream && s.category === category && s.shift === "all" && s.dimension === dimension,
    )!;

  it("computes ω and GSB per upstream and overall, by hand", () => {
    expect(get("aligner", "a", "all", "helpful")).toMatchObject({ n: 3, win: 1, tie: 1, lose: 1, omega: 0, upstream_kind: "seen" });
    expect(get("aligner", "a", "all", "harmless")).toMatchObject({ win: 1, tie: 2, lose: 0 });
    expect(get("aligner", "a", "all", "harmless").omega).toBeCloseTo(1 / 3);
    expect(get("aligner", "all", "all", "helpful")).toMatchObject({ n: 5, win: 1, tie: 2, lose: 2, upstream_kind: "all" });
    expect(get("aligner", "all", "all", "helpful").omega).toBeCloseTo(-1 / 5);
    expect(get("aligner", "b", "all", "helpful").broke_perfect_rate).toBe(1);
    expect(get("aligner", "a", "math", "helpful")).toMatchObject({ n: 2, score_before: 0.5, score_after: 1 });
  });

  it("puts the baselines beside it: always-copy ties everything, gold is the ceiling", () => {
    expect(get("always-copy", "all", "all", "helpful")).toMatchObject({ omega: 0, tie: 5, copy_rate: 1 });
    const gold = get("gold", "all", "all", "helpful");
    expect(gold).toMatchObject({ win: 2, tie: 3, lose: 0 }); // answers "5" and "3" gain; the three with a 4 were already helpful
    expect(gold.score_after).toBe(1);
  });

  it("adds each mean in row order, as metrics' mean does (a running mean differs in the last bits)", () => {
    const scores = [0.1, 0.7, 0.3, 0.9, 0.2]; // sum / n = 0.44000000000000006, a running mean 0.44
    const scored = rows.map((r, i) => ({ ...r, helpful_before: scores[i]! }));
    const cell = summarize(scored, judge, { runId: "r", seed: 1 }).find(
      (s) => s.method === "aligner" && s.upstream === "all" && s.category === "all" && s.shift === "all" && s.dimension === "helpful",
    )!;
    expect(cell.score_before).toBe(mean(scores));
    expect(cell.score_before).toBe(0.44000000000000006);
  });

  it("splits every cell by shift (iid, ood, all) and leads the headline with iid when both exist", () => {
    const shifted = scoreCorrections(
      cases.map((c) => ({ ...c, shift: c.id === "3" || c.id === "5" ? "ood" : "iid" })),
      judge,
      { runId: "r", template: "t" },
    );
    const split = summarize(shifted, judge, { runId: "r", seed: 1 });
    const cell = (upstream: string, shift: string) =>
      split.find(
        (s) => s.method === "aligner" && s.upstream === upstream && s.category === "all" && s.shift === shift && s.dimension === "helpful",
      )!;
    expect(cell("a", "iid")).toMatchObject({ n: 2, win: 1, tie: 1, lose: 0, omega: 0.5 });
    expect(cell("a", "ood")).toMatchObject({ n: 1, lose: 1, omega: -1 });
    expect(cell("a", "all")).toMatchObject({ n: 3, omega: 0 });
    expect(cell("all", "ood")).toMatchObject({ n: 2, win: 0, tie: 1, lose: 1 });
    // iid: a helpful +1/2, harmless 0; b (row 4) helpful -1, harmless 0. ood: a -1 / +1, b 0 / 0.
    expect(headline(split)).toBe(
      "Aligner (the paper's method, greedy decoding), averaged over 2 upstream models (ω, 95% interval over questions, new questions like the training ones): " +
        "helpfulness −25.0% [−25.0%, −25.0%] and harmlessness +0.0% [+0.0%, +0.0%] (no detectable change); " +
        "on questions with held-out templates or entities: helpfulness −50.0% [−50.0%, −50.0%] and harmlessness +50.0% [+50.0%, +50.0%].",
    );
  });

  it("writes a headline from the per-upstream ω", () => {
    // helpful ω: a 0, b -1/2 -> mean -25%; harmless: a 1/3, b 0 -> +16.7%; one question: no spread
    expect(headline(summary)).toBe(
      "Aligner (the paper's method, greedy decoding), averaged over 2 upstream models (ω, 95% interval over questions, all test questions): helpfulness −25.0% [−25.0%, −25.0%] and harmlessness +16.7% [+16.7%, +16.7%].",
    );
  });

  it("adds the headline rows: the mean of the per-upstream ω, with an interval from the same question resamples", () => {
    const many = scoreCorrections(
      Array.from({ length: 30 }, (_, q) => cases.map((c) => ({ ...c, id: `${q}:${c.id}`, question: `q${q % (q < 15 ? 15 : 30)}` }))).flat(),
      judge,
      { runId: "r", template: "t" },
    );
    const cell = summarize(many, judge, { runId: "r", seed: 1 }).find(
      (s) => s.method === "aligner" && s.upstream === "mean" && s.category === "all" && s.shift === "all" && s.dimension === "helpful",
    )!;
    expect(cell).toMatchObject({ n: 150, upstream_kind: "all" });
    expect(cell.omega).toBeCloseTo(-0.25, 12);
    // every question repeats the same five rows: each resample's mean is the same, so the interval is the point
    expect(cell.omega_lo).toBeCloseTo(-0.25, 12);
    expect(cell.omega_hi).toBeCloseTo(-0.25, 12);
  });

  it("summarizes each method of the rows, with the baselines from the first, and leads the headline with the paper's method", () => {
    const rule = scoreCorrections(
      cases.map((c) => ({ ...c, correction: c.answer })),
      judge,
      { runId: "r", template: "t", method: "aligner+copy-rule" },
    );
    const both = summarize([...rows, ...rule], judge, { runId: "r", seed: 1 });
    expect([...new Set(both.map((s) => s.method))]).toEqual(["aligner", "aligner+copy-rule", "always-copy", "gold"]);
    expect(headline(both)).toMatch(
      /^Aligner \(the paper's method, greedy decoding\).*With our copy rule \(an extension\): helpfulness \+0\.0%/,
    );
    expect(() => summarize([...rows, ...rule.slice(1)], judge, { runId: "r", seed: 1 })).toThrow(
      /method "aligner\+copy-rule" has other rows/,
    );
  });

  it.each([
    [{ omega: 0.135, omega_lo: -0.004, omega_hi: 0.263 }, "+13.5% [−0.4%, +26.3%] (no detectable change)"],
    [{ omega: -0.162, omega_lo: -0.274, omega_hi: -0.039 }, "−16.2% [−27.4%, −3.9%]"],
  ])("describes ω %j with its interval", (r, text) => expect(describeOmega(r)).toBe(text));

  it("lists the residual's edit spans", () => {
    const ops = residualOps(rows).filter((o) => o.id === "1");
    expect(ops.map((o) => [o.op, o.removed, o.added])).toEqual([
      ["keep", "It is", "It is"],
      ["replace", "5", "4"],
      ["keep", ".", "."],
    ]);
  });
});

it.each([
  [0, 1, "win"],
  [1, 0, "lose"],
  [0.5, 0.5, "tie"],
] as const)("verdictOf(%d, %d) = %s", (a, b, v) => expect(verdictOf(a, b)).toBe(v));
