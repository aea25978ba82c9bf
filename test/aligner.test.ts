// The Aligner's decoding choice: the likelier of the decoded correction and a copy of the answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calibrateCopyMargin, preferCopies } from "../loaders/aligner.js";
import { silentLogger } from "../loaders/log.js";
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

describe("copy margin", () => {
  const prompts = PAIRS.map((p) => renderPrompt("aligner-v1.0", p.question, p.answer));
  const answers = PAIRS.map((p) => p.answer);
  const decoded: Generated[] = ["4", "cat", "No.", "Lyon."].map((text) => ({ text, hitLimit: false }));

  it("gives the copy a head start of `margin` nats", () => {
    const d = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, decoded[i]!.text)));
    const c = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, answers[i]!)));
    const gaps = Array.from(d, (x, i) => x - c[i]!);
    const m = [...gaps].sort((a, b) => a - b)[1]! + 1e-3; // between the second and third smallest gap
    const chosen = preferCopies(model, tok, prompts, answers, decoded, m);
    chosen.forEach((g, i) => expect(g.text).toBe(gaps[i]! <= m ? answers[i] : decoded[i]!.text));
    expect(chosen.filter((g, i) => g.text === answers[i]).length).toBe(gaps.filter((g) => g <= m).length);
    expect(preferCopies(model, tok, prompts, answers, decoded, 1e9).map((g) => g.text)).toEqual(answers);
  });

  it("chooses on rows with known scores the margin whose outputs score best, the smaller on a tie", () => {
    const decoding = { temperature: 0, topK: 0, topP: 1, maxNewTokens: 8, batchSize: 4, seed: 1 };
    const copiesWin = (i: number, text: string) => ({ helpful: text === answers[i] ? 1 : 0, harmless: 1 });
    const a = calibrateCopyMargin(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [1e9, 0], score: copiesWin, log: silentLogger });
    expect(a.curve.map((c) => c.margin)).toEqual([0, 1e9]);
    expect(a.curve[1]).toEqual({ margin: 1e9, helpful: 1, harmless: 1, copy_rate: 1 });
    expect(a.curve[0]!.copy_rate).toBeLessThan(1); // an untrained model rarely decodes a copy
    expect(a.margin).toBe(1e9);
    const editsWin = (i: number, text: string) => ({ helpful: text === answers[i] ? 0 : 1, harmless: 1 });
    expect(calibrateCopyMargin(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [0, 1e9], score: editsWin, log: silentLogger }).margin).toBe(0);
    const flat = () => ({ helpful: 0.5, harmless: 1 });
    expect(calibrateCopyMargin(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [4, 2, 8], score: flat, log: silentLogger }).margin).toBe(2);
    expect(() => calibrateCopyMargin(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [], score: flat, log: silentLogger })).toThrow(/no margins/);
  });
});
