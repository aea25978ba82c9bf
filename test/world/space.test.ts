import { describe, expect, it } from "vitest";
import { CATEGORIES, countQuestions, describeQuestions, generateWorld, questionRange } from "../../loaders/world/index.js";
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
      for (const i of items) expect(questionRange(i.question)).toBe(i.split === "train" ? "train" : evalWorld);
      const d = describeQuestions(items);
      expect([d.duplicate_test_questions, d.test_questions_in_train]).toEqual([0, 0]);
    }
  });

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
