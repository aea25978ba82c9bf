import { describe, expect, it } from "vitest";
import {
  CATEGORIES,
  UPSTREAMS,
  buildRows,
  contentKey,
  countQuestions,
  createWorldRng,
  describeQuestions,
  generateWorld,
  questionRange,
} from "../../loaders/world/index.js";
import { tokenizerTexts } from "../../loaders/experiment/dataset.js";
import { LM_UPSTREAMS } from "../../loaders/experiment/zoo-models.js";
import { findUpstream } from "../../loaders/world/index.js";
import { chatPrompt } from "../../loaders/engine/lm.js";

const options = { seed: 42, trainQuestions: 600, testQuestions: 120, iidShare: 0.5 };

describe("the question space", () => {
  it.each(CATEGORIES)("reaches at least 2,000 distinct seen questions in %s", (c) => {
    expect(countQuestions(c, "seen")).toBeGreaterThanOrEqual(2000);
  });

  it("puts every train question in the train range and every eval question in its world's range, each once", () => {
    for (const evalWorld of ["dev", "test"] as const) {
      const items = generateWorld({ ...options, evalWorld });
      for (const i of items) expect(questionRange(i)).toBe(i.split === "train" ? "train" : evalWorld);
      const d = describeQuestions(items);
      expect([d.duplicate_test_questions, d.test_questions_in_train]).toEqual([0, 0]);
    }
  });

  it("never asks on eval what train asks, in any wording (content keys are disjoint)", () => {
    for (const evalWorld of ["dev", "test"] as const) {
      const items = generateWorld({ ...options, evalWorld });
      const train = new Set(items.filter((i) => i.split === "train").map(contentKey));
      expect(items.filter((i) => i.split === "test" && train.has(contentKey(i))).map((i) => i.question)).toEqual([]);
    }
  });

  it("keys content without the wording: one arithmetic sum in two phrasings shares a key, another value does not", () => {
    const items = generateWorld({ ...options, trainQuestions: 3000 });
    const sums = items.filter((i) => i.facts.kind === "number" && i.category === "arithmetic");
    const byKey = new Map<string, Set<string>>();
    for (const i of sums) byKey.set(contentKey(i), (byKey.get(contentKey(i)) ?? new Set()).add(i.question));
    expect([...byKey.values()].some((qs) => qs.size > 1)).toBe(true);
    expect(new Set(sums.map((i) => (i.facts.kind === "number" ? i.facts.value : null))).size).toBeLessThanOrEqual(byKey.size);
  });

  // The default preset's sizes: eval golds outside the refusal subset are new text, not train corrections reworded.
  it.each([42, 43])(
    "keeps verbatim train corrections to ≤ 5%% of eval golds outside the refusal subset (seed %i)",
    (seed) => {
      const items = generateWorld({ seed, trainQuestions: 3500, testQuestions: 200, iidShare: 0.5 });
      const rows = buildRows(items, UPSTREAMS, createWorldRng(seed).fork("answers"));
      const seen = new Set(rows.filter((r) => r.split === "train" && r.upstream_kind === "seen").map((r) => r.correction.trim()));
      const golds = rows.filter((r) => r.split === "test" && r.category !== "harmful").map((r) => r.correction.trim());
      const share = golds.filter((g) => seen.has(g)).length / golds.length;
      expect(golds.length).toBeGreaterThan(1000);
      expect(share).toBeLessThanOrEqual(0.05);
    },
    30_000,
  );

  it("keeps train items identical across dev and test worlds and draws different eval items", () => {
    const dev = generateWorld({ ...options, evalWorld: "dev" });
    const test = generateWorld(options);
    expect(dev.filter((i) => i.split === "train")).toEqual(test.filter((i) => i.split === "train"));
    const devQ = new Set(dev.filter((i) => i.split === "test").map((i) => i.question));
    expect(test.filter((i) => i.split === "test" && devQ.has(i.question))).toEqual([]);
  });

  it("fits the tokenizer on train text only", () => {
    const items = generateWorld(options);
    const texts = new Set(tokenizerTexts({ items, rows: [] }, "aligner-v1.0"));
    const test = items.filter((x) => x.split === "test");
    expect(test.filter((i) => texts.has(chatPrompt(i.question))).map((i) => i.question)).toEqual([]);
    expect(items.filter((i) => i.split === "train" && !texts.has(chatPrompt(i.question)))).toEqual([]);
  });

  it("trains no zoo LM on a held-out profile's answers", () => {
    for (const lm of LM_UPSTREAMS)
      for (const name of Object.keys(lm.corpus)) expect(findUpstream(name).kind, `${lm.name}: ${name}`).toBe("seen");
  });
});
