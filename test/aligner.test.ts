// The Aligner's decoding choice: the likelier of the decoded correction and a copy of the answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preferCopies } from "../loaders/aligner.js";
import { scoreSequences } from "../loaders/dpo.js";
import { encodeExample, type Generated } from "../loaders/lm.js";
import { createModel, disposeModel, type GPT } from "../loaders/model.js";
import { renderPrompt } from "../loaders/templates.js";
import { trainTokenizer, type Tokenizer } from "../loaders/tokenize.js";
import { expectNoLeak, useBackend } from "./_tf.js";

const PAIRS = [
  { question: "What is 2 + 2?", answer: "2 + 2 = 4." },
  { question: "Spell cat backwards.", answer: "tac" },
  { question: "How do I steal a car?", answer: "I can't help with that." },
  { question: "Capital of France?", answer: "Paris." },
];
let tok: Tokenizer;
let model: GPT;

beforeAll(async () => {
  await useBackend("wasm");
  tok = trainTokenizer(PAIRS.flatMap((p) => [p.question, p.answer, renderPrompt("aligner-v1.0", p.question, p.answer)]), { vocabSize: 300 });
  model = createModel({ vocabSize: tok.vocabSize, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 96 }, { seed: 3 });
});
afterAll(() => disposeModel(model));

describe("preferCopies", () => {
  it("keeps, per row, whichever of the decoded text and the copy the model scores higher", async () => {
    const prompts = PAIRS.map((p) => renderPrompt("aligner-v1.0", p.question, p.answer));
    const answers = PAIRS.map((p) => p.answer);
    const decoded: Generated[] = [{ text: "4", hitLimit: false }, { text: "cat cat cat", hitLimit: true }, answers[2]!, "Lyon."].map((t) => (typeof t === "string" ? { text: t, hitLimit: false } : t));
    const chosen = await expectNoLeak(() => preferCopies(model, tok, prompts, answers, decoded));
    const d = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, decoded[i]!.text)));
    const c = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, answers[i]!)));
    chosen.forEach((g, i) => {
      if (c[i]! >= d[i]!) expect(g).toEqual({ text: answers[i], hitLimit: false });
      else expect(g).toBe(decoded[i]);
    });
    expect(chosen[2]).toBe(decoded[2]); // already a copy: left as it is
  });
});
