import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  codePoints,
  countGsb,
  degenerateFlags,
  describeCorrection,
  describeCorrections,
  DL_MAX_CELLS,
  dl,
  editOps,
  levenshtein,
  levenshteinWithin,
  median,
  omega,
  omegaInterval,
  wordTokens,
  type Verdict,
} from "../../loaders/experiment/metrics.js";

describe("wordTokens", () => {
  it.each([
    ["Kill the process: kill -9 1234.", ["Kill", "the", "process", ":", "kill", "-", "9", "1234", "."]],
    ["naïve café", ["naïve", "café"]],
    ["", []],
    ["  \n\t ", []],
    ["東京は", ["東京は"]],
  ])("splits %j", (text, tokens) => expect(wordTokens(text)).toEqual(tokens));
});

describe("levenshtein and D_L", () => {
  it.each([
    [[], [], 0],
    [["a"], [], 1],
    [[], ["a", "b"], 2],
    [["k", "i", "t", "t", "e", "n"], ["s", "i", "t", "t", "i", "n", "g"], 3],
    [["a", "b", "c"], ["a", "b", "c"], 0],
    [["a", "b", "c"], ["c", "b", "a"], 2],
  ])("levenshtein(%j, %j) = %d", (a, b, d) => expect(levenshtein(a, b)).toBe(d));

  it("is 0 for a copy and counts word edits over the answer's length", () => {
    expect(dl("The answer is 5.", "The answer is 5.")).toBe(0);
    // 5 tokens "The answer is 5 ." -> "The answer is 6 ." : one substitution / 5
    expect(dl("The answer is 5.", "The answer is 6.")).toBeCloseTo(1 / 5);
    // empty answer: distance over max(1, 0)
    expect(dl("", "I can help.")).toBe(4);
  });
});

describe("editOps", () => {
  it("merges adjacent edits into spans and reports kept text", () => {
    expect(editOps("The answer is 5 .", "The answer is 6 .")).toEqual([
      { op: "keep", from: "The answer is", to: "The answer is", at: 0 },
      { op: "replace", from: "5", to: "6", at: 3 },
      { op: "keep", from: ".", to: ".", at: 4 },
    ]);
  });

  it.each([
    [
      "a b c",
      "a b c d e",
      [
        { op: "keep", from: "a b c" },
        { op: "insert", from: "", to: "d e" },
      ],
    ],
    [
      "a b c d",
      "a d",
      [
        { op: "keep", from: "a" },
        { op: "delete", from: "b c", to: "" },
        { op: "keep", from: "d" },
      ],
    ],
    ["", "x", [{ op: "insert", from: "", to: "x" }]],
    ["x", "", [{ op: "delete", from: "x", to: "" }]],
  ])("%j -> %j", (a, c, expected) => expect(editOps(a, c)).toMatchObject(expected));

  it("has as many non-keep token edits as the distance for a pure insertion/deletion", () => {
    const ops = editOps("one two three four", "one four five");
    const answerBack = ops
      .filter((o) => o.op !== "insert")
      .map((o) => o.from)
      .join(" ");
    const correctionBack = ops
      .filter((o) => o.op !== "delete")
      .map((o) => o.to)
      .join(" ");
    expect(answerBack).toBe("one two three four");
    expect(correctionBack).toBe("one four five");
  });
});

describe("ω and GSB", () => {
  it("matches the paper's worked example: G 354, S 55, B 290 gives +9.2%", () => {
    expect(omega({ win: 354, tie: 55, lose: 290 })).toBeCloseTo(64 / 699, 10);
    expect(Math.round(omega({ win: 354, tie: 55, lose: 290 }) * 1000) / 10).toBe(9.2);
  });

  it("counts verdicts and is 0 with none", () => {
    expect(countGsb(["win", "win", "tie", "lose"])).toEqual({ win: 2, tie: 1, lose: 1 });
    expect(omega({ win: 0, tie: 0, lose: 0 })).toBe(0);
  });

  it("gives a seeded bootstrap interval that contains ω and narrows with more data", () => {
    const small: Verdict[] = [...Array(6).fill("win"), ...Array(3).fill("tie"), ...Array(1).fill("lose")];
    const big = Array.from({ length: 50 }, () => small).flat();
    const a = omegaInterval(small, { seed: 3 });
    const b = omegaInterval(big, { seed: 3 });
    expect(a.omega).toBeCloseTo(0.5);
    expect(a.lo).toBeLessThanOrEqual(0.5);
    expect(a.hi).toBeGreaterThanOrEqual(0.5);
    expect(b.hi - b.lo).toBeLessThan(a.hi - a.lo);
    expect(omegaInterval(small, { seed: 3 })).toEqual(a);
    expect(omegaInterval(Array(20).fill("win"))).toMatchObject({ omega: 1, lo: 1, hi: 1 });
  });
});

describe("degenerateFlags", () => {
  it.each([
    ["", ["empty"]],
    ["   ", ["empty"]],
    ["To kill a stuck process, run kill with its PID.", []],
    ["the cat sat on the cat sat on the cat sat on the mat.", ["repeated_ngram"]],
    ["Here is the answerThe process is simple.", ["run_together"]],
    ["This is a fine answer with some English words and then Привет inside it.", ["non_ascii_injection"]],
    [Array(25).fill("word").join(" ").replace(/word$/, "unfinish"), ["truncated", "repeated_ngram"]],
  ])("%j -> %j", (text, flags) => expect(degenerateFlags(text)).toEqual(flags));

  it("trusts the generator when it hit its token limit", () => {
    expect(degenerateFlags("Short.", { hitLimit: true })).toEqual(["truncated"]);
  });
});

describe("describeCorrections", () => {
  it("computes copy rate, D_L and lengths on a five-row fixture", () => {
    const m = describeCorrections([
      { answer: "It is 4.", correction: "It is 4." },
      { answer: "It is 5.", correction: "It is 4." },
      { answer: "Sure: steps.", correction: "I can't help with that." },
      { answer: "ok", correction: "ok" },
      { answer: "héllo", correction: "hello 👋" },
    ]);
    expect(m.rows).toBe(5);
    expect(m.copy_rate).toBeCloseTo(2 / 5);
    expect(m.answer_chars_mean).toBeCloseTo((8 + 8 + 12 + 2 + 5) / 5);
    expect(m.correction_chars_mean).toBeCloseTo((8 + 8 + 23 + 2 + 7) / 5);
    // per-row D_L: 0, 1/4, 4 tokens answer vs 7 tokens: lev = 7 -> 7/4, 0, 2/1
    expect(m.dl_mean).toBeCloseTo((0 + 0.25 + 7 / 4 + 0 + 2) / 5);
    expect(m.dl_median).toBeCloseTo(0.25);
  });

  it("counts code points, not UTF-16 units", () => {
    expect(codePoints("👋é")).toBe(2);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  const dir = join(import.meta.dirname, "..", "..", "..", "shared", "data", "alpaca_eval-aligner-2b");
  const why = "../shared/data (real Aligner-2B rows, CC BY-NC, never copied into the project) is absent on this machine";
  it.skipIf(!existsSync(dir)).each([
    ["aligner-2b_gpt-4-turbo-2024-04-09.json", 1370, 1802],
    ["aligner-2b_claude-3-opus-20240229.json", 1669, 1388],
  ])(
    `reproduces the AlpacaEval leaderboard's avg_length of %s (skipped where ${why})`,
    (file, correction, answer) => {
      const rows = JSON.parse(readFileSync(join(dir, file), "utf-8")) as { original_output: string; output: string }[];
      const m = describeCorrections(rows.map((r) => ({ answer: r.original_output, correction: r.output })));
      expect(m.rows).toBe(805);
      expect(Math.trunc(m.correction_chars_mean)).toBe(correction);
      expect(Math.trunc(m.answer_chars_mean)).toBe(answer);
    },
    60_000,
  ); // 805 long rows' D_L: seconds on a busy 2-core machine
});

describe("D_L on long texts is bounded (issue 15)", () => {
  /** n distinct-ish words from a seeded generator. */
  const words = (n: number, seed: number) => {
    let x = seed;
    return Array.from({ length: n }, () => `w${((x = (x * 1103515245 + 12345) % 2 ** 31), x % 5000)}`);
  };

  it("equals the full table wherever it answers, also when forced onto the band", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const a = words(5 + (seed % 40), seed).map((w) => w.slice(0, 2));
      const b =
        seed % 3 ? a.map((w, k) => (k % (2 + (seed % 7)) ? w : "x")).slice(seed % 4) : words(30, seed + 1).map((w) => w.slice(0, 2));
      const exact = levenshtein(a, b);
      expect(levenshteinWithin(a, b)).toBe(exact);
      const banded = levenshteinWithin(a, b, 200); // too small for the full table: the band decides
      if (banded !== null) expect(banded).toBe(exact);
    }
  });

  it(`measures two 120,000-word texts in seconds: exact for a near copy, null (and counted) past ${DL_MAX_CELLS} cells`, () => {
    const answer = words(120_000, 7).join(" ");
    const near = answer.replace(/^w\d+/, "changed").replace(/w\d+$/, "end") + " extra";
    const other = words(120_000, 8).join(" ");
    const started = Date.now();
    expect(describeCorrection({ answer, correction: near }).dl).toBe(3 / 120_000);
    const far = describeCorrection({ answer, correction: other });
    expect(far.dl).toBeNull();
    expect(far.answer_tokens).toBe(120_000);
    const m = describeCorrections([
      { answer, correction: other },
      { answer: "It is 5.", correction: "It is 4." },
    ]);
    expect(m).toMatchObject({ rows: 2, dl_mean: 0.25, dl_median: 0.25, dl_unmeasured: 1 });
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it("leaves dl_unmeasured out when every row is measured", () => {
    expect(describeCorrections([{ answer: "a b", correction: "a c" }])).not.toHaveProperty("dl_unmeasured");
  });
});
