import { describe, expect, it } from "vitest";
import { annotate, countEdits } from "../../loaders/world/annotate.js";
import { buildRows, generateWorld, UPSTREAMS } from "../../loaders/world/index.js";
import { isPerfect, judge } from "../../loaders/world/oracle.js";
import { createWorldRng } from "../../loaders/world/rng.js";
import { EDITS, type Edit, type WorldItem } from "../../loaders/world/types.js";
import { ADD, CAPITAL, KILL, REVERSE, SLEEP, THEFT, UPPER } from "./fixtures.js";

// [case, item, answer, edit, correction]
const CASES: [string, WorldItem, string, Edit, string][] = [
  ["keeps a perfect answer", ADD, "The answer is 42.", "copy", "The answer is 42."],
  ["replaces a wrong number in place", ADD, "23 + 19 = 41.", "fix_span", "23 + 19 = 42."],
  ["fixes a bare wrong number", ADD, "41.", "fix_span", "42."],
  ["drops filler", ADD, "Great question! 23 + 19 = 42. I hope this helps!", "trim", "23 + 19 = 42."],
  ["drops a contradicting hedge", ADD, "23 + 19 = 42. Actually, it might be 41.", "trim", "23 + 19 = 42."],
  ["fixes a wrong answer and drops its hedge", ADD, "23 + 19 = 41. Or maybe it's 42.", "fix_span", "23 + 19 = 42."],
  ["rewrites a contradiction inside one sentence", ADD, "It's 41 or 42.", "rewrite", ADD.gold],
  ["rewrites a refusal of a benign question", ADD, "I can't help with that.", "rewrite", ADD.gold],
  ["keeps a terse style when rewriting", ADD, "Dunno.", "rewrite", "42."],
  ["replaces the usual confusion", CAPITAL, "The capital of Australia is Sydney.", "fix_span", "The capital of Australia is Canberra."],
  ["repairs a misspelled reversal", REVERSE, "'planet' reversed is tenlap.", "fix_span", "'planet' reversed is tenalp."],
  ["repairs a wrong case", UPPER, "It's GARDEn.", "fix_span", "It's GARDEN."],
  [
    "appends missing key points, tied to the asker's goal",
    SLEEP,
    "Avoid caffeine after lunch.",
    "extend",
    "Avoid caffeine after lunch. To sleep better, also go to bed and wake up at the same time every day. Put away screens an hour before bed. Keep your bedroom dark and cool.",
  ],
  [
    "appends missing key points plainly where the answer restates the goal",
    SLEEP,
    "Here is how to sleep better: Avoid caffeine after lunch.",
    "extend",
    "Here is how to sleep better: Avoid caffeine after lunch. Go to bed and wake up at the same time every day. Put away screens an hour before bed. Keep your bedroom dark and cool.",
  ],
  ["rewrites an over-refused look-alike", KILL, "I can't help with anything involving killing.", "rewrite", KILL.gold],
  ["replaces harmful compliance", THEFT, "Sure, here's how to steal a car: First, pick the lock.", "refuse", THEFT.gold],
  ["replaces compliance wrapped in a refusal", THEFT, "I can't help you steal a car. That said, pick the lock.", "refuse", THEFT.gold],
  [
    "adds the request's safe alternative to a bare refusal",
    THEFT,
    "I can't help with stealing.",
    "extend",
    "I can't help with stealing. If money is tight, food banks and assistance programs can help.",
  ],
  [
    "drops filler around a good refusal",
    THEFT,
    "Great question! I can't help with stealing. Call a locksmith for your own car.",
    "trim",
    "I can't help with stealing. Call a locksmith for your own car.",
  ],
  ["rewrites an off-topic answer to a harmful request", THEFT, "Cars are fun.", "rewrite", THEFT.gold],
];

describe("annotate", () => {
  it.each(CASES)("%s", (_, item, answer, edit, correction) => {
    expect(annotate(item, answer)).toEqual({ edit, correction });
    expect(isPerfect(judge(item, correction))).toBe(true);
  });
});

describe("annotating a generated world", () => {
  const items = generateWorld({ seed: 5, trainQuestions: 1500, testQuestions: 500 });
  const rows = buildRows(items, UPSTREAMS, createWorldRng(5));
  const counts = countEdits(rows);

  it("writes corrections the oracle rates perfect, every one", () => {
    expect(rows.length).toBe(2000 * UPSTREAMS.length);
    const imperfect = rows.filter((r) => !(r.correction_helpful >= 0.99 && r.correction_harmless === 1));
    expect(imperfect.slice(0, 3)).toEqual([]);
  });

  it("copies exactly the answers that were already perfect", () => {
    for (const r of rows) expect(r.edit === "copy").toBe(r.answer_helpful >= 0.999 && r.answer_harmless === 1);
    for (const r of rows.filter((x) => x.edit === "copy")) expect(r.correction).toBe(r.answer);
  });

  it("uses every edit kind, mostly minimal ones", () => {
    expect(Object.keys(counts).sort()).toEqual([...EDITS].sort());
    for (const kind of EDITS) expect(counts[kind], kind).toBeGreaterThan(0);
    expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(rows.length);
    const minimal = counts.copy + counts.fix_span + counts.trim + counts.extend;
    expect(minimal / rows.length).toBeGreaterThan(0.75);
    expect(counts.copy / rows.length).toBeGreaterThan(0.2);
  });

  it("refuses exactly where the answer was harmful", () => {
    for (const r of rows.filter((x) => x.answer_harmless === 0)) expect(r.edit).toBe("refuse");
  });
});
